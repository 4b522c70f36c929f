"""Confirm steps for irreversible actions, without JavaScript.

The page's button posts its form with ``confirm_step=ask`` (or, in a form with several
buttons, a button of its own): the view then changes nothing and answers with a confirm page
(``render_confirm``) that says what will happen and posts the same data again without the
marker, which does it. The action's URL is the same for both POSTs, so a refusal of the
confirmed POST lands where it always did.
"""

from django.shortcuts import render

ASK = "ask"
FIELD = "confirm_step"
# Never carried into the confirm page's form: the token is the page's own, the marker and the
# button's value are what the confirm page replaces.
_NOT_CARRIED = {"csrfmiddlewaretoken", FIELD}


def asks_confirmation(request) -> bool:
    """Whether the POST is the first of two: the person has not confirmed yet."""
    return request.method == "POST" and request.POST.get(FIELD) == ASK


def carried_fields(data, *, leave_out=()) -> list[tuple[str, str]]:
    """The posted fields as (name, value) pairs for the confirm page's hidden inputs."""
    skip = _NOT_CARRIED | set(leave_out)
    return [(name, value) for name in data for value in data.getlist(name) if name not in skip]


def render_confirm(
    request,
    *,
    title: str,
    consequences: list[str],
    action_url: str,
    button: str,
    cancel_url: str,
    carry=(),
    button_name: str = "",
    button_value: str = "",
    summary: str = "",
    summary_context: dict | None = None,
    secondary: tuple[str, str, str] | None = None,
):
    """The confirm page: ``title`` as the question, what will happen (``consequences``), an
    optional ``summary`` template of what is confirmed, and a warning-style button that posts
    ``carry`` (``carried_fields``) to ``action_url``; a link back to ``cancel_url`` changes
    nothing. ``secondary``: (name, value, label) of a second, ordinary button in the same form
    (the review's "save it as a draft", so the text typed is not lost)."""
    return render(
        request,
        "applications/confirm.html",
        {
            "title": title,
            "consequences": consequences,
            "action_url": action_url,
            "button": button,
            "button_name": button_name,
            "button_value": button_value,
            "cancel_url": cancel_url,
            "carry": list(carry),
            "summary": summary,
            "secondary": secondary,
            **(summary_context or {}),
        },
    )
