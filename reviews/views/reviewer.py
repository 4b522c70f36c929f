"""The reviewer's pages: joining a panel, declaring conflicts, the dashboard, the review.

A reviewer sees an application's content only through an active assignment without a conflict
of interest (``_get_assignment_for_reviewer``): anything else is a 404, whoever asks, so the
pages do not even confirm that an application exists. Reviewers see the latest submitted
version, never the working copy.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from applications.downloads import attachment_response
from applications.enums import ApplicationState
from applications.services.edit_conflicts import StaleEdit
from applications.views.confirm import carried_fields, render_confirm
from config.ratelimits import rate_limited
from grants.enums import ScoreVisibility
from grants.models import Call

from ..enums import ConflictGround, Recommendation
from ..forms.conflicts import review_conflict_rows
from ..forms.reviewer import DeclarationForm, DeclineForm, PanelJoinForm, ReviewForm
from ..models import Assignment
from ..selectors.assignments import assignment_for_reviewer, reviewer_assignment_pages
from ..selectors.conflicts import declaration_progress, declaration_sheet, has_conflict
from ..selectors.panel import invitations_with_call, panel_member_for, panel_seats_of
from ..selectors.reviews import (
    other_reviews_visible,
    other_submitted_reviews,
    review_of,
    review_with_scores,
)
from ..selectors.scope import latest_titles, latest_version_with_submitter
from ..selectors.scores import criteria_counts, criteria_in_order, round_score, weighted_score
from ..services import assignments as assignment_services
from ..services import conflicts as conflict_services
from ..services import panel as panel_services
from ..services import reviewing as reviewing_services


def _messages_of(error: ValidationError) -> list[str]:
    return [str(message) for message in error.messages]


def _get_assignment_for_reviewer(request, pk) -> Assignment:
    """The user's active assignment to the application, unless it has a conflict: else 404."""
    assignment = assignment_for_reviewer(request.user, pk)
    if assignment is None or has_conflict(assignment.member, assignment.application):
        raise Http404
    return assignment


def _latest_version(application):
    version = latest_version_with_submitter(application)
    if version is None:  # an application in review always has one; be safe all the same
        raise Http404
    return version


# -- joining the panel ---------------------------------------------------------------------------


@rate_limited("invitation_accept", methods=("GET", "POST"))
def panel_invitation_accept(request, token):
    """Anyone with the link sees the call; accepting needs the invited address's account."""
    invitation = get_object_or_404(invitations_with_call(), token=token)
    here = reverse("reviews:panel_invitation_accept", args=[token])
    user = request.user
    form = None
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        form = PanelJoinForm(request.POST)
        if form.is_valid():
            return _accept_invitation(request, invitation, form, here)
    wrong_account = user.is_authenticated and user.email.lower() != invitation.email.lower()
    if form is None and user.is_authenticated and not wrong_account:
        form = PanelJoinForm()
    return render(
        request,
        "reviews/reviewer/invitation.html",
        {
            "invitation": invitation,
            "call": invitation.call,
            "usable": invitation.is_usable(),
            "wrong_account": wrong_account,
            "form": form,
            "here": here,
        },
        status=400 if form is not None and form.is_bound else 200,
    )


def _accept_invitation(request, invitation, form, here):
    try:
        member = panel_services.panel_invitation_accept(
            invitation=invitation, by=request.user, **form.cleaned_data
        )
    except ValidationError as error:
        for message in _messages_of(error):
            messages.error(request, message)
        return redirect(here)
    messages.success(
        request,
        _(
            "Welcome to the reference group of %(call)s. Start by declaring any "
            "conflicts of interest."
        )
        % {"call": member.call.title},
    )
    return redirect("reviews:declare", slug=member.call.slug)


# -- the dashboard -------------------------------------------------------------------------------


def _page_links(request, key: str, page) -> dict:
    """The addresses of a seat's pager (first, previous, next, last), keeping the others'."""

    def to(number):
        query = request.GET.copy()
        query[key] = number
        return f"?{query.urlencode()}"

    return {
        "first": to(1) if page.has_previous() else "",
        "previous": to(page.previous_page_number()) if page.has_previous() else "",
        "next": to(page.next_page_number()) if page.has_next() else "",
        "last": to(page.paginator.num_pages) if page.has_next() else "",
    }


@login_required
def dashboard(request):
    """Per panel seat: how far the declarations are, the assignments counted, and a page of 50
    of them with their progress (``?page-<seat>=n``)."""
    members = list(panel_seats_of(request.user))
    progress = declaration_progress(members)
    pages = reviewer_assignment_pages(
        request.user, members, {m.pk: request.GET.get(f"page-{m.pk}") for m in members}
    )
    titles = latest_titles(a.application_id for p in pages.values() for a in p.object_list)
    criteria = criteria_counts(m.call_id for m in members)
    seats = []
    for member in members:
        declared, in_scope = progress[member.pk]
        page = pages[member.pk]
        rows = [
            {
                "assignment": assignment,
                "application": assignment.application,
                "title": titles.get(assignment.application_id, ""),
                "review": getattr(assignment, "review", None),
                "scored": assignment.scored,
                "criteria": criteria.get(member.call_id, 0),
            }
            for assignment in page.object_list
        ]
        seats.append(
            {
                "member": member,
                "call": member.call,
                "declared": declared,
                "in_scope": in_scope,
                "rows": rows,
                "page": page,
                "links": _page_links(request, f"page-{member.pk}", page),
            }
        )
    return render(request, "reviews/reviewer/dashboard.html", {"seats": seats})


# -- conflicts of interest -----------------------------------------------------------------------


@login_required
def declare(request, slug):
    """Declare conflicts of interest, seeing only organisation names and titles."""
    call = get_object_or_404(Call, slug=slug)
    member = panel_member_for(request.user, call)
    if member is None:
        raise Http404
    sheet = declaration_sheet(member, call)
    scope, declarations = sheet["scope"], sheet["declarations"]
    open_, declared_none = sheet["open"], sheet["declared_none"]
    if request.method == "POST":
        form = DeclarationForm(request.POST, applications=open_, declared_none=declared_none)
        if form.is_valid():
            try:
                conflict_services.conflicts_declare(
                    member=member, by=request.user, declarations=form.declarations()
                )
            except ValidationError as error:
                for message in _messages_of(error):
                    form.add_error(None, message)
            else:
                messages.success(request, _("Your declarations have been saved."))
                return redirect("reviews:dashboard")
    else:
        form = DeclarationForm(applications=open_, declared_none=declared_none)
    grounds = dict(ConflictGround.choices)
    return render(
        request,
        "reviews/reviewer/declare.html",
        {
            "call": call,
            "member": member,
            "form": form,
            "conflicts": [(a, d, grounds.get(d.ground, d.ground)) for a, d in sheet["conflicts"]],
            "declared": len(declarations.keys() & {a.pk for a in scope}),
            "in_scope": len(scope),
        },
        status=400 if form.is_bound else 200,
    )


# -- the review ----------------------------------------------------------------------------------


def _other_reviews(assignment, criteria):
    """The other reviewers' submitted reviews, anonymised, with their weighted scores."""
    rows = []
    for number, review in enumerate(other_submitted_reviews(assignment), start=1):
        scores = {s.criterion_id: s.value for s in review.scores.all()}
        rows.append(
            {
                "number": number,
                "review": review,
                "weighted": round_score(weighted_score(scores, criteria)),
                "scores": [(c, scores.get(c.pk)) for c in criteria],
            }
        )
    return rows


def _render_review(
    request, assignment, *, form=None, errors=(), conflict=None, status=200, decline_form=None
):
    """``conflict``: a save refused as stale (``_save_review``), shown above the form."""
    application = assignment.application
    call = application.call
    criteria = criteria_in_order(call)
    review = review_with_scores(assignment)
    assignment.review = review  # what other_reviews_visible reads
    scores = {s.criterion_id: s.value for s in review.scores.all()} if review else {}
    in_review = application.state == ApplicationState.IN_REVIEW
    editable = in_review and not (review and review.is_submitted)
    if editable and form is None:
        form = _review_form(review, scores, criteria)
    visible = other_reviews_visible(assignment)
    version = _latest_version(application)
    return render(
        request,
        "reviews/reviewer/review.html",
        {
            "assignment": assignment,
            "application": application,
            "call": call,
            "version": version,
            "review": review,
            "criteria_scores": [(c, scores.get(c.pk)) for c in criteria],
            "weighted": round_score(weighted_score(scores, criteria)),
            "form": form if editable else None,
            "errors": list(errors),
            "conflict": conflict,
            "in_review": in_review,
            "others_visible": visible,
            "others": _other_reviews(assignment, criteria) if visible else [],
            "policy": call.score_visibility,
            "Policy": ScoreVisibility,
            "decline_form": (decline_form or DeclineForm()) if editable else None,
        },
        status=status,
    )


def _review_form(review, scores, criteria) -> ReviewForm:
    """The form filled in with the draft so far."""
    initial = {f"score_{pk}": value for pk, value in scores.items()}
    initial["edit_version"] = review.edit_version if review else 0
    if review:
        initial |= {
            "comment_for_applicant": review.comment_for_applicant,
            "internal_comment": review.internal_comment,
            "recommendation": review.recommendation,
        }
    return ReviewForm(initial=initial, criteria=criteria)


@never_cache
@login_required
def review(request, pk):
    """The submitted version beside the review form; POST saves a draft or submits."""
    assignment = _get_assignment_for_reviewer(request, pk)
    if request.method != "POST":
        return _render_review(request, assignment)
    here = reverse("reviews:review", args=[pk])
    existing = review_of(assignment)
    if existing and existing.is_submitted:
        messages.error(request, _("The review has been submitted and can no longer be changed."))
        return redirect(here)
    if assignment.application.state != ApplicationState.IN_REVIEW:
        messages.error(request, _("The application is no longer in review."))
        return redirect(here)
    form = ReviewForm(request.POST, criteria=criteria_in_order(assignment.application.call))
    if not form.is_valid():
        return _render_review(request, assignment, form=form, status=400)
    if request.POST.get("action") == ASK_SUBMIT:
        return _confirm_submit(request, assignment, form, here)
    return _save_review(request, assignment, form, here)


# The review page's "Submit review" button: the confirm page first, which changes nothing.
ASK_SUBMIT = "ask_submit"


def _confirm_submit(request, assignment, form, here):
    """Before submitting: what the review says, and that it is locked once submitted. Its
    buttons post the same data again, to submit or to save it as a draft."""
    recommendation = form.cleaned_data["recommendation"]
    return render_confirm(
        request,
        title=_("Submit your review of %(number)s?")
        % {"number": assignment.application.registration_number},
        consequences=[
            _("A submitted review is locked: you cannot change it afterwards."),
            _(
                "Every criterion must be scored, with a recommendation and a comment for the "
                "applicant."
            ),
        ],
        action_url=here,
        carry=carried_fields(request.POST, leave_out=("action",)),
        button=_("Yes, submit the review"),
        button_name="action",
        button_value="submit",
        secondary=("action", "save", _("No, save it as a draft")),
        cancel_url=here,
        summary="reviews/reviewer/_confirm_submit.html",
        summary_context={
            "scores": [(criterion, field.data) for criterion, field in form.score_rows()],
            "recommendation": Recommendation(recommendation).label if recommendation else "",
            "comment": form.cleaned_data["comment_for_applicant"],
        },
    )


def _save_review(request, assignment, form, here):
    """Save the draft; submit it too when the reviewer asked to."""
    submitting = request.POST.get("action") == "submit"
    try:
        reviewing_services.review_save(
            assignment=assignment,
            by=request.user,
            scores=form.scores(),
            comment_for_applicant=form.cleaned_data["comment_for_applicant"],
            internal_comment=form.cleaned_data["internal_comment"],
            recommendation=form.cleaned_data["recommendation"],
            base_version=form.cleaned_data["edit_version"],
        )
    except StaleEdit as stale:
        conflict = {"message": stale.messages[0], "rows": review_conflict_rows(form, stale.current)}
        return _render_review(request, assignment, conflict=conflict, status=409)
    except ValidationError as error:
        for message in _messages_of(error):
            form.add_error(None, message)
        return _render_review(request, assignment, form=form, status=400)
    if not submitting:
        messages.success(request, _("Your draft has been saved."))
        return redirect(here)
    try:
        reviewing_services.review_submit(assignment=assignment, by=request.user)
    except ValidationError as error:
        # The draft is saved; say what is missing before it can be submitted.
        errors = [_("Your draft is saved, but it cannot be submitted yet:")] + _messages_of(error)
        return _render_review(request, assignment, errors=errors, status=400)
    messages.success(request, _("Your review has been submitted. Thank you."))
    return redirect(here)


@login_required
def attachment_download(request, pk, att_pk):
    """An attachment of the latest submitted version, for an assigned, non-conflicted reviewer."""
    assignment = _get_assignment_for_reviewer(request, pk)
    version = _latest_version(assignment.application)
    attachment = get_object_or_404(version.attachments.all(), pk=att_pk)
    return attachment_response(request, attachment)


@require_POST
@login_required
def decline(request, pk):
    """The reviewer gives the assignment back, with the reason; another reviewer takes it."""
    assignment = _get_assignment_for_reviewer(request, pk)
    form = DeclineForm(request.POST)
    if form.is_valid():
        try:
            assignment_services.assignment_decline(
                assignment=assignment, by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            form.add_error("reason", error)
        else:
            messages.success(
                request,
                _("You declined %(number)s. The programme manager can see your reason.")
                % {"number": assignment.application.registration_number},
            )
            return redirect("reviews:dashboard")
    return _render_review(request, assignment, decline_form=form, status=400)


urlpatterns = [
    path("", dashboard, name="dashboard"),
    path("invitations/<token:token>/", panel_invitation_accept, name="panel_invitation_accept"),
    path("calls/<slug:slug>/conflicts/", declare, name="declare"),
    path("applications/<int:pk>/", review, name="review"),
    path("applications/<int:pk>/decline/", decline, name="decline"),
    path(
        "applications/<int:pk>/attachments/<int:att_pk>/",
        attachment_download,
        name="attachment_download",
    ),
]
