"""Decisions: a programme manager proposes, a decision maker (never the proposer) confirms or
sends back, and a programme manager releases a call's held decisions (the outbox).

Applications are fetched through the visibility selector (not visible → 404, visible but not
allowed → 403); decisions likewise through their application. Every write is one service
call, and the service checks the right again: a crafted POST by the proposer is refused there
too. The reviewers' comments for the applicant come from ``reviews``, which calls
``render_propose`` with them (this app never imports ``reviews``).
"""

import rules
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from ..enums import ApplicationState, DecisionOutcome, DecisionStatus
from ..forms.decisions import DecisionProposeForm, SendBackForm
from ..letters.render import render_letter_preview
from ..models import Decision
from ..models.application import completion_deadline_passed_if_returned
from ..selectors.applications import applications_visible_to, latest_version
from ..selectors.decisions import (
    calls_holding_decisions,
    decision_release_overview,
    decisions_chosen,
    decisions_visible_to,
    decisions_waiting,
    effective_decision,
    funding_shortfalls,
    has_waiting_proposal,
    waiting_by_call,
)
from ..services import decisions as decision_services
from . import posted_pk
from .confirm import asks_confirmation, carried_fields, render_confirm
from .jobs import redirect_to_job

S = ApplicationState


# -- fetching ------------------------------------------------------------------------------------


def get_application_for_proposal(request, pk):
    """For the propose pages of both apps: the application if the user sees it (else 404) and
    may propose decisions (else 403); a draft is never a case."""
    application = get_object_or_404(applications_visible_to(request.user), pk=pk)
    if not rules.has_perm("applications.propose_decision", request.user, application):
        raise PermissionDenied
    if application.registration_number is None:
        raise Http404
    return application


def _get_decision(request, pk, perm: str) -> Decision:
    """The decision if the user sees its application (else 404) and has ``perm`` on it (else
    403)."""
    decision = get_object_or_404(decisions_visible_to(request.user), pk=pk)
    if not rules.has_perm(perm, request.user, decision):
        raise PermissionDenied
    return decision


# -- proposing -----------------------------------------------------------------------------------


def _proposal_setup(application) -> dict:
    """What may be proposed now: the outcomes, the decision a correction supersedes, or why
    nothing can be proposed."""
    if has_waiting_proposal(application):
        return {"blocked": _("A proposed decision is already waiting for confirmation.")}
    effective = effective_decision(application)
    if effective is not None:
        return {"outcomes": [effective.outcome], "supersedes": effective}
    if application.state == S.SUBMITTED or (
        application.state == S.RETURNED and completion_deadline_passed_if_returned(application)
    ):
        return {"outcomes": [DecisionOutcome.REJECTED_INELIGIBLE], "supersedes": None}
    if application.state == S.REVIEWED:
        return {
            "outcomes": [DecisionOutcome.APPROVED, DecisionOutcome.REJECTED],
            "supersedes": None,
            "shortfalls": funding_shortfalls(application),
        }
    return {
        "blocked": _("No decision can be proposed while the application is “%(state)s”.")
        % {"state": application.get_state_display()}
    }


def _reasons(application, supersedes=None) -> list[tuple[str, str]]:
    """The reasons for ineligibility the application's call offers now, and the reason of the
    decision a correction replaces (it may keep it when the call no longer offers it)."""
    kept = supersedes.reason_code if supersedes is not None else ""
    return [
        (reason.key, reason.label)
        for reason in application.call.reasons_for_ineligibility(with_inactive=True)
        if reason.is_active or reason.key == kept
    ]


def _requested_amount(application) -> int:
    version = latest_version(application)
    return (version.content.get("requested_amount") if version else None) or 0


def _initial(application, setup, suggested_feedback: str) -> dict:
    supersedes = setup.get("supersedes")
    if supersedes is not None:
        return {
            "outcome": supersedes.outcome,
            "granted_amount": supersedes.granted_amount or None,
            "conditions": supersedes.conditions,
            "justification": supersedes.justification,
            "reason_code": supersedes.reason_code,
            "feedback": supersedes.feedback,
        }
    outcomes = setup["outcomes"]
    return {
        "outcome": outcomes[0] if len(outcomes) == 1 else None,
        "granted_amount": _requested_amount(application) or None,
        "feedback": suggested_feedback,
    }


def _render_propose_page(request, application, *, setup, form, errors, back_url, status):
    return render(
        request,
        "applications/decisions/propose.html",
        {
            "application": application,
            "form": form,
            "errors": errors,
            "blocked": setup.get("blocked"),
            "supersedes": setup.get("supersedes"),
            "shortfalls": setup.get("shortfalls", []),
            "requested_amount": _requested_amount(application),
            "back_url": back_url,
            "version": latest_version(application),
        },
        status=status,
    )


def _propose_posted(request, application, setup, form) -> list[str] | None:
    """Propose from a valid form: None when proposed, else the service's reasons."""
    data = form.cleaned_data
    try:
        decision_services.decision_propose(
            application=application,
            by=request.user,
            outcome=data["outcome"],
            justification=data["justification"],
            granted_amount=form.cleaned_amount(),
            conditions=data["conditions"],
            feedback=data["feedback"],
            reason_code=data["reason_code"],
            supersedes=setup["supersedes"],
            threshold_override=data.get("threshold_override", ""),
        )
    except ValidationError as error:
        return error.messages
    messages.success(
        request,
        _(
            "The decision for %(number)s was proposed. A decision maker "
            "confirms it or sends it back."
        )
        % {"number": application.registration_number},
    )
    return None


def render_propose(request, application, *, suggested_feedback: str = "", back_url: str):
    """The propose page and its POST, for either entry point (the case page or the reviews
    page, which passes the consensus comment or the reviewers' comments as the suggestion)."""
    setup = _proposal_setup(application)
    form = None
    errors: list[str] = []
    if "blocked" not in setup:
        outcomes, below = setup["outcomes"], bool(setup.get("shortfalls"))
        if request.method == "POST":
            form = DecisionProposeForm(
                request.POST,
                outcomes=outcomes,
                below_threshold=below,
                reasons=_reasons(application, setup.get("supersedes")),
            )
            if form.is_valid():
                errors = _propose_posted(request, application, setup, form)
                if errors is None:
                    return redirect(back_url)
        else:
            form = DecisionProposeForm(
                initial=_initial(application, setup, suggested_feedback),
                outcomes=outcomes,
                below_threshold=below,
                reasons=_reasons(application, setup.get("supersedes")),
            )
    return _render_propose_page(
        request,
        application,
        setup=setup,
        form=form,
        errors=errors,
        back_url=back_url,
        status=200 if not (form is not None and (form.errors or errors)) else 400,
    )


@login_required
def decision_propose(request, pk):
    """Proposing from the case page: ineligibility from ``submitted``, corrections, or any
    proposal when no reviewers' comments are wanted (the reviews page suggests those)."""
    application = get_application_for_proposal(request, pk)
    return render_propose(
        request,
        application,
        back_url=reverse("applications:manage_detail", args=[application.pk]),
    )


def _pdf_response(pdf: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    return response


def _draft_decision(application, form, *, by, supersedes) -> Decision:
    """An unsaved decision from the propose form's data, for the letter preview."""
    data = form.cleaned_data
    outcome = data["outcome"]
    return Decision(
        application=application,
        outcome=outcome,
        granted_amount=form.cleaned_amount() if outcome == DecisionOutcome.APPROVED else 0,
        conditions=data["conditions"],
        justification=data["justification"],
        feedback=data["feedback"],
        reason_code=data["reason_code"] if outcome == DecisionOutcome.REJECTED_INELIGIBLE else "",
        language=application.language,
        proposed_by=by,
        proposed_at=timezone.now(),
        supersedes=supersedes,
    )


@require_POST
@login_required
def decision_preview(request, pk):
    """The letter as it would read, from the propose form's data, without saving anything."""
    application = get_application_for_proposal(request, pk)
    setup = _proposal_setup(application)
    if "blocked" in setup:
        return render_propose(
            request,
            application,
            back_url=reverse("applications:manage_detail", args=[application.pk]),
        )
    form = DecisionProposeForm(
        request.POST,
        outcomes=setup["outcomes"],
        below_threshold=bool(setup.get("shortfalls")),
        reasons=_reasons(application, setup.get("supersedes")),
    )
    if not form.is_valid():
        return _render_propose_page(
            request,
            application,
            setup=setup,
            form=form,
            errors=[],
            back_url=reverse("applications:manage_detail", args=[application.pk]),
            status=400,
        )
    draft = _draft_decision(application, form, by=request.user, supersedes=setup["supersedes"])
    return _pdf_response(
        render_letter_preview(draft), f"{application.registration_number}-preview.pdf"
    )


@login_required
def decision_proposal_preview(request, decision_pk):
    """The letter of a proposal waiting for confirmation, as it would read if confirmed."""

    decision = _get_decision(request, decision_pk, "applications.list_applications")
    if decision.is_confirmed:
        return redirect(_letter_url(decision))
    return _pdf_response(
        render_letter_preview(decision),
        f"{decision.application.registration_number}-preview.pdf",
    )


def _letter_url(decision) -> str:
    return reverse("applications:decision_letter", args=[decision.application_id, decision.pk])


# -- confirming ----------------------------------------------------------------------------------


def _require_staff(user) -> None:
    if not rules.has_perm("applications.list_applications", user):
        raise PermissionDenied


def _render_decisions(request, *, send_back_failed=None, status=200):
    """The decision maker's list: proposals per call, each with its facts and actions."""
    user = request.user
    decisions = list(decisions_waiting())
    groups = waiting_by_call(decisions)
    for group in groups:
        group["items"] = [
            {
                "decision": decision,
                "may_confirm": rules.has_perm("applications.confirm_decision", user, decision),
                "own": decision.proposed_by_id == user.pk,
                "send_back_form": send_back_failed[1]
                if send_back_failed and send_back_failed[0] == decision.pk
                else SendBackForm(prefix=f"back{decision.pk}"),
            }
            for decision in group.pop("decisions")
        ]
    return render(
        request,
        "applications/decisions/list.html",
        {
            "groups": groups,
            "count": len(decisions),
            "may_confirm_any": any(
                item["may_confirm"] for group in groups for item in group["items"]
            ),
            "is_decision_maker": rules.has_perm("applications.decide_application", user),
            # The outbox is the programme manager's: no link to it for anyone else.
            "may_release": rules.has_perm("applications.release_decisions", user),
        },
        status=status,
    )


@login_required
def decisions(request):
    _require_staff(request.user)
    return _render_decisions(request)


@require_POST
@login_required
def decision_confirm(request, decision_pk):
    decision = _get_decision(request, decision_pk, "applications.confirm_decision")
    # A decision no longer waiting gets the service's answer at once, not a question.
    if asks_confirmation(request) and decision.status == DecisionStatus.PROPOSED:
        return _confirm_page(request, [decision], action_url=request.path)
    try:
        decision_services.decision_confirm(decision=decision, by=request.user)
    except ValidationError as error:
        for message in error.messages:
            messages.error(
                request,
                _("%(number)s was not confirmed: %(reason)s")
                % {"number": decision.application.registration_number, "reason": message},
            )
    else:
        messages.success(
            request,
            _("The decision for %(number)s is confirmed. Its letter is being made.")
            % {"number": decision.application.registration_number},
        )
    return redirect("applications:decisions")


@require_POST
@login_required
def decisions_confirm_selected(request):
    """Start confirming the selection as a background job and go to the job's page (303)."""
    if not rules.has_perm("applications.decide_application", request.user):
        raise PermissionDenied
    ids = [pk for pk in map(posted_pk, request.POST.getlist("decision")) if pk is not None]
    chosen = decisions_chosen(user=request.user, ids=ids) if ids else []
    if not chosen:
        messages.error(request, _("Select at least one decision to confirm."))
        return redirect("applications:decisions")
    if asks_confirmation(request):
        return _confirm_page(
            request, chosen, action_url=request.path, carry=carried_fields(request.POST)
        )
    job, created = decision_services.decisions_confirm_start(decisions=chosen, by=request.user)
    if not created:
        messages.info(request, _("These decisions are already being confirmed."))
    return redirect_to_job(job)


@require_POST
@login_required
def decision_send_back(request, decision_pk):
    decision = _get_decision(request, decision_pk, "applications.confirm_decision")
    form = SendBackForm(request.POST, prefix=f"back{decision.pk}")
    if form.is_valid():
        try:
            decision_services.decision_send_back(
                decision=decision, by=request.user, comment=form.cleaned_data["comment"]
            )
        except ValidationError as error:
            form.add_error("comment", error)
        else:
            messages.success(
                request,
                _("The proposal for %(number)s was sent back to the programme manager.")
                % {"number": decision.application.registration_number},
            )
            return redirect("applications:decisions")
    return _render_decisions(request, send_back_failed=(decision.pk, form), status=400)


def _confirm_page(request, decisions, *, action_url, carry=()):
    """Before confirming: the decisions, and that a confirmed decision is final."""
    numbers = ", ".join(d.application.registration_number for d in decisions)
    return render_confirm(
        request,
        title=ngettext(
            "Confirm the decision for %(numbers)s?",
            "Confirm the decisions for %(numbers)s?",
            len(decisions),
        )
        % {"numbers": numbers},
        consequences=[
            _(
                "A confirmed decision is final: it names you as the one who decided and can "
                "never be changed. A correction is a new decision."
            ),
            _(
                "The letter is made and sent to the applicant, or held until the call's "
                "decisions are released together."
            ),
        ],
        action_url=action_url,
        carry=carry,
        button=ngettext("Yes, confirm the decision", "Yes, confirm the decisions", len(decisions)),
        cancel_url=reverse("applications:decisions"),
    )


# -- the outbox ----------------------------------------------------------------------------------


def _require_release(user) -> None:
    if not rules.has_perm("applications.release_decisions", user):
        raise PermissionDenied


@login_required
def decisions_release(request):
    """Calls that hold their decisions for a common decision date, and what is held."""
    _require_release(request.user)
    return render(
        request,
        "applications/decisions/release.html",
        {"calls": decision_release_overview()},
    )


def _release_confirm_page(request, call):
    """Before releasing: how many decisions go out, and that a released one stays out."""
    ready = next(row["ready"] for row in decision_release_overview() if row["call"] == call)
    return render_confirm(
        request,
        title=ngettext(
            "Release %(count)s decision of %(call)s?",
            "Release %(count)s decisions of %(call)s?",
            ready,
        )
        % {"count": ready, "call": call.title},
        consequences=[
            _(
                "Each decision's letter and email go to its applicant now. A released "
                "decision cannot be called back."
            )
        ],
        action_url=request.path,
        button=_("Yes, release the decisions"),
        cancel_url=reverse("applications:decisions_release"),
    )


@require_POST
@login_required
def decisions_release_call(request, slug):
    _require_release(request.user)
    call = get_object_or_404(calls_holding_decisions(), slug=slug)
    if asks_confirmation(request):
        return _release_confirm_page(request, call)
    released, waiting = decision_services.decisions_release_for_call(call=call, by=request.user)
    messages.success(
        request,
        ngettext(
            "%(count)s decision was released to its applicant.",
            "%(count)s decisions were released to their applicants.",
            released,
        )
        % {"count": released},
    )
    if waiting:
        messages.warning(
            request,
            ngettext(
                "%(count)s decision is still waiting for its letter; release again later.",
                "%(count)s decisions are still waiting for their letters; release again later.",
                waiting,
            )
            % {"count": waiting},
        )
    return redirect("applications:decisions_release")


urlpatterns = [
    path("manage/decisions/", decisions, name="decisions"),
    path(
        "manage/decisions/confirm-selected/",
        decisions_confirm_selected,
        name="decisions_confirm_selected",
    ),
    path("manage/decisions/<int:decision_pk>/confirm/", decision_confirm, name="decision_confirm"),
    path(
        "manage/decisions/<int:decision_pk>/send-back/",
        decision_send_back,
        name="decision_send_back",
    ),
    path(
        "manage/decisions/<int:decision_pk>/preview.pdf",
        decision_proposal_preview,
        name="decision_proposal_preview",
    ),
    path("manage/decisions/release/", decisions_release, name="decisions_release"),
    path(
        "manage/decisions/release/<slug:slug>/",
        decisions_release_call,
        name="decisions_release_call",
    ),
    path(
        "manage/applications/<int:pk>/decisions/propose/",
        decision_propose,
        name="decision_propose",
    ),
    path(
        "manage/applications/<int:pk>/decisions/preview.pdf",
        decision_preview,
        name="decision_preview",
    ),
]
