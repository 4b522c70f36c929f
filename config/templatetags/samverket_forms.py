"""The error summary of a page, and the capture that lets base.html know there is one."""

from django import forms, template
from django.utils.safestring import mark_safe

register = template.Library()


def _href(target: str) -> str:
    """A link to a field id on this page, or ``target`` itself when it already is a link."""
    if not target:
        return ""
    return target if "#" in target else f"#{target}"


def _form_items(form):
    """(link, message) for each error of a form, or of each form of a formset."""
    if hasattr(form, "non_form_errors"):
        yield from (("", error) for error in form.non_form_errors())
        for subform in form.forms:
            yield from _form_items(subform)
        return
    yield from (("", error) for error in form.non_field_errors())
    # A form in a formset may name its fields with its row ("Criterion 2, Weight").
    label_of = getattr(form, "summary_label", None) or (lambda field: field.label)
    for field in form:
        for error in field.errors:
            href = "" if field.is_hidden else _href(field.error_target)
            label = label_of(field)
            yield href, f"{label}: {error}" if label else error


def _forms_in(value):
    """The forms (and formsets) in ``value``: a form itself, or the rows of a page that has a
    form per row (a list of (object, form) pairs, or of dicts holding one)."""
    if isinstance(value, (forms.BaseForm, forms.BaseFormSet)):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _forms_in(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _forms_in(item)


def _extra_items(errors):
    """Messages without a form: plain strings, or (field id or link, message) pairs."""
    for error in errors or ():
        if isinstance(error, (tuple, list)):
            yield _href(error[0]), error[1]
        else:
            yield "", error


@register.inclusion_tag("forms/error_summary.html")
def error_summary(*sources, errors=None, note=None, heading=None):
    """The page's one error summary: ``{% error_summary form1 form2 errors=extra note=text %}``.

    Takes any number of forms or formsets (``None`` or ``""`` for one not on the page now, a
    list of rows for a form per row: see ``_forms_in``) and
    ``errors``, messages from a service (strings, or (field id, message) pairs; a pair's id may
    be a link to another page, ``/edit/#id_title``). Renders nothing
    when there is no error. ``note`` adds a line under the heading; ``heading`` replaces "There
    is a problem" where the page says better what went wrong.
    """
    items = list(_extra_items(errors))
    for source in sources:
        for form in _forms_in(source):
            items.extend(_form_items(form))
    # A view may pass a formset's own errors as messages too; each is said once.
    items = list(dict.fromkeys((href, str(message)) for href, message in items))
    return {"items": items, "note": note, "heading": heading}


class CaptureNode(template.Node):
    child_nodelists = ("nodelist",)

    def __init__(self, nodelist, name):
        self.nodelist = nodelist
        self.name = name

    def render(self, context):
        # Template output, escaped as it was rendered: kept as it is, not escaped twice.
        context[self.name] = mark_safe(self.nodelist.render(context).strip())  # noqa: S308
        return ""


@register.tag
def capture(parser, token):
    """``{% capture name %}...{% endcapture %}``: render the inside once, into ``name``.

    base.html captures the page's error summary block before <title>, so the title can say
    "Error:" when the page shows one, and places it above the page's <h1>.
    """
    bits = token.split_contents()
    if len(bits) != 2:
        raise template.TemplateSyntaxError("capture takes one name: {% capture name %}")
    nodelist = parser.parse(("endcapture",))
    parser.delete_first_token()
    return CaptureNode(nodelist, bits[1])
