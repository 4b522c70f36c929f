"""The decision letter, downloaded through a view that checks permission.

The application is fetched through the visibility selector (not visible → 404); the decision
must belong to it and be one the user may read (``applications.view_decision``: agency staff,
or the applicant once the decision is released). An applicant asking before the release gets
a 404, not a 403: in a call that holds its decisions for a common date, a 403 would tell them
that a decision exists.
"""

import rules
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from ..downloads import stored_file_response
from ..selectors.decisions import calls_holding_decisions, decision_letter_of, decisions_of
from ..services.letters import letters_run_start
from .applicant import _get_application_for_user
from .jobs import redirect_to_job


@require_safe
@login_required
def decision_letter(request, pk, decision_pk):
    application = _get_application_for_user(request, pk)
    decision = get_object_or_404(decisions_of(application), pk=decision_pk)
    if not rules.has_perm("applications.view_decision", request.user, decision):
        raise Http404
    letter = decision_letter_of(decision)
    if letter is None:
        raise Http404
    with translation.override(decision.language):  # the file is named in the letter's language
        filename = _("decision-%(number)s.pdf") % {"number": application.registration_number}
    response = stored_file_response(letter.file, filename=filename, content_type="application/pdf")
    response["Content-Length"] = str(letter.size)
    return response


@require_POST
@login_required
def decisions_letter_run(request, slug):
    """Make the missing letters of a call's held decisions as a background job (issue 15)."""
    if not rules.has_perm("applications.release_decisions", request.user):
        raise PermissionDenied
    call = get_object_or_404(calls_holding_decisions(), slug=slug)
    job, _created = letters_run_start(call=call, by=request.user)
    return redirect_to_job(job)


urlpatterns = [
    path(
        "manage/decisions/release/<slug:slug>/letters/",
        decisions_letter_run,
        name="decisions_letter_run",
    ),
    path(
        "applications/<int:pk>/decisions/<int:decision_pk>/letter.pdf",
        decision_letter,
        name="decision_letter",
    ),
]
