"""Reads: who sees which applications, their latest version, and what a submission would
contain."""

from typing import NamedTuple

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils.translation import gettext as _

from grants.models import Call

from ..enums import ApplicationState
from ..formatting import format_kronor
from ..models import Application, ApplicationTransition, ApplicationVersion, Attachment
from ..models.application import SUBMITTED_ONLY
from ..rules import is_agency_staff
from .application_form import answer_errors, form_definition
from .organisations import organisation_unverified_message, organisations_of


def applications_visible_to(user) -> QuerySet[Application]:
    """Applications the user may open at all.

    Applicants see their organisations' applications, drafts included. Agency staff see every
    application from its first submission on; a draft never submitted is the applicant's own
    working paper. Anyone else sees nothing.
    """
    base = Application.objects.select_related("call", "organisation", "hub")
    if not user.is_authenticated:
        return base.none()
    visible = Q(organisation__memberships__user=user)
    if is_agency_staff(user):
        visible |= Q(registration_number__isnull=False)
    return base.filter(visible).distinct()


def application_for_detail(queryset: QuerySet[Application]) -> QuerySet[Application]:
    """What an application page needs, in a fixed number of queries."""
    return queryset.select_related("eligibility_check", "created_by").prefetch_related(
        "budget_lines",
        "deadline_exceptions",
        Prefetch("attachments", queryset=Attachment.objects.filter(removed_at__isnull=True)),
        Prefetch(
            "versions",
            queryset=versions_latest_first(
                ApplicationVersion.objects.select_related("submitted_by")
            ),
        ),
    )


def application_for_staff_detail(user) -> QuerySet[Application]:
    """The applications the user sees, with what the case page needs (``application_for_detail``)
    and who granted each late exception, who checked eligibility and the call's checklist."""
    queryset = application_for_detail(applications_visible_to(user)).prefetch_related(
        "deadline_exceptions__granted_by", "call__checklist_items"
    )
    return queryset.select_related("eligibility_check__checked_by")


def case_list(user) -> QuerySet[Application]:
    """The agency's case list before its filters: the submitted applications the user sees.

    What a row shows and sorts by is on the application's own row (the latest version's
    ``submitted_title`` and ``submitted_amount`` too), so a page of 50 and its count cost the
    same at 500 and at 10,000 applications. Staff see every submitted application, which
    needs neither the memberships' join nor ``DISTINCT`` (over every annotation of every row,
    that was most of the list's cost); a staff member who also belongs to an applying
    organisation never sees its drafts here.
    """
    if is_agency_staff(user):
        submitted = Application.objects.select_related("call", "organisation", "hub")
    else:
        submitted = applications_visible_to(user)
    # Spelled as the partial indexes' condition (``IS NOT NULL``, not ``NOT (… IS NULL)``), so
    # SQLite too can prove the query lies inside them and walk them in the sort's order.
    return submitted.filter(SUBMITTED_ONLY)


def transitions_of(application: Application) -> QuerySet[ApplicationTransition]:
    """The application's transition log, oldest first, with who made each step."""
    return (
        ApplicationTransition.objects.filter(application=application)
        .select_related("actor")
        .order_by("at", "pk")
    )


def applications_open_for_exception() -> QuerySet[Application]:
    """Applications a late exception can still help (drafts and submitted ones), each with its
    call and organisation."""
    return Application.objects.select_related("call", "organisation").filter(
        state__in=[ApplicationState.DRAFT, ApplicationState.SUBMITTED]
    )


def published_calls() -> QuerySet[Call]:
    """Calls shown to applicants (the ones an application may be started in are among them)."""
    return Call.objects.published()


def applicant_dashboard(user) -> dict:
    """The applicant's start page: their organisations by name, and those organisations'
    applications that the user sees, newest first, each with ``has_unsent_changes``, and
    those with changes that can still be submitted (``unsent_changes``, for the banner)."""
    organisations = organisations_of(user).order_by("name")
    applications = with_unsent_changes(
        applications_visible_to(user)
        .filter(organisation__in=organisations)
        .prefetch_related("deadline_exceptions")
        .order_by("-created_at")
    )
    # Iterating fills the queryset's cache: the page's table reads the same rows again.
    unsent = [a for a in applications if a.has_unsent_changes and a.is_editable]
    return {"organisations": organisations, "applications": applications, "unsent_changes": unsent}


def organisation_applications(user, organisation) -> QuerySet[Application]:
    """The organisation's applications that the user sees, newest first."""
    return applications_visible_to(user).filter(organisation=organisation).order_by("-created_at")


def attachments_of(application: Application) -> QuerySet[Attachment]:
    """Every attachment of the application, removed ones included (a version may list them)."""
    return Attachment.objects.filter(application=application)


def attachment_in_a_version(attachment: Attachment) -> bool:
    return attachment.versions.exists()


def versions_of(application: Application) -> QuerySet[ApplicationVersion]:
    """The application's submitted versions, each with who submitted it."""
    return application.versions.select_related("submitted_by")


def current_attachments(application: Application) -> QuerySet[Attachment]:
    return application.attachments.filter(removed_at__isnull=True)


def attachments_total_size(application: Application) -> int:
    return current_attachments(application).aggregate(total=Sum("size"))["total"] or 0


# -- the latest version ------------------------------------------------------------------------
#
# "The latest version" of an application is its submitted version with the highest number
# (every submit adds one, and the latest one submitted in time is the one assessed). Every read
# of it goes through the functions below, whatever its form: one application, a subquery for a
# list, or a few fields per application for a whole call.


def versions_latest_first(
    versions: QuerySet[ApplicationVersion] | None = None,
) -> QuerySet[ApplicationVersion]:
    """``versions`` (by default every version) ordered latest first: the definition of "latest"."""
    if versions is None:
        versions = ApplicationVersion.objects.all()
    return versions.order_by("-number")


def latest_version(application: Application) -> ApplicationVersion | None:
    return versions_latest_first(application.versions.all()).first()


def latest_version_subquery(application: str = "pk") -> QuerySet[ApplicationVersion]:
    """The versions of the application the outer query's ``application`` field names, latest
    first: slice ``[:1]`` of its values for a ``Subquery``."""
    return versions_latest_first(
        ApplicationVersion.objects.filter(application=OuterRef(application))
    )


def submitted_summary_of(application: str) -> dict:
    """Annotations for the latest submitted version's title and requested amount
    (``submitted_title``, ``submitted_amount``) of the application that the queryset's
    ``application`` relation names: the columns the submit service keeps on the application."""
    return {
        "submitted_title": F(f"{application}__submitted_title"),
        "submitted_amount": F(f"{application}__submitted_amount"),
    }


def latest_version_values(versions: QuerySet[ApplicationVersion], *fields) -> dict[int, tuple]:
    """application id → the ``fields`` (names or expressions) of its latest version among
    ``versions``, in one query that reads only those fields (decoding whole versions' JSON was
    the ranking's largest cost at 2,000 applications)."""
    rows = versions.order_by("application_id", "number").values_list("application_id", *fields)
    # In version order, so the latest one's values are the ones left.
    return {application_id: tuple(values) for application_id, *values in rows}


def with_unsent_changes(queryset: QuerySet[Application]) -> QuerySet[Application]:
    """Annotate ``has_unsent_changes``: a submitted or returned application whose working copy
    was saved, or had a file added or removed, after its latest version was submitted.

    Judged by markers, not by content: each version records the working copy's
    ``edit_version`` it was made from, and every save counts that up; files have their upload
    and removal times. Two integers and two indexed lookups per row, in the list's own query,
    where comparing content would build every working copy's snapshot (its budget lines and
    files) and read every latest version's JSON. The price: a save that changed nothing (Save
    draft pressed twice) counts as a change, and the submit page then says "Nothing has
    changed since then". Versions from before the marker have none and never show changes.
    """
    submitted_at = OuterRef("last_submitted_at")
    file_added = Attachment.objects.filter(
        application=OuterRef("pk"), removed_at__isnull=True, uploaded_at__gt=submitted_at
    )
    file_removed = Attachment.objects.filter(
        application=OuterRef("pk"), uploaded_at__lte=submitted_at, removed_at__gt=submitted_at
    )
    changed = (
        Q(edit_version__gt=F("submitted_edit_version")) | Exists(file_added) | Exists(file_removed)
    )
    return queryset.annotate(
        submitted_edit_version=Subquery(latest_version_subquery("pk").values("edit_version")[:1])
    ).annotate(
        has_unsent_changes=ExpressionWrapper(
            Q(state__in=[ApplicationState.SUBMITTED, ApplicationState.RETURNED])
            & Q(submitted_edit_version__isnull=False)
            & changed,
            output_field=BooleanField(),
        )
    )


# The core fields every call asks for and a submission needs (the hub too when the call has
# hubs); the call's own questions are checked from its definition (``answer_errors``).
REQUIRED_FIELDS = [
    "title",
    "summary",
    "hub",
    "period_start",
    "period_end",
    "requested_amount",
    "contact_name",
    "contact_email",
]


class SubmissionError(NamedTuple):
    """Why a working copy cannot be submitted, and which field to put right (None: no field)."""

    field: str | None
    message: str


def submission_errors(application: Application) -> list[SubmissionError]:
    """Everything that stops this working copy from being submitted.

    An empty list means the content may be submitted (the deadline and the user's right are
    checked by the service). ``field`` is a form field name, or ``"budget"`` for the budget lines.
    """
    errors: list[SubmissionError] = []

    def refuse(field, message):
        errors.append(SubmissionError(field, str(message)))

    call = application.call
    definition = form_definition(call)
    for name in REQUIRED_FIELDS:
        if name == "hub" and not definition.has_hubs:
            continue  # a call without hubs does not ask for one
        if getattr(application, name) in (None, ""):
            label = str(Application._meta.get_field(name).verbose_name).capitalize()
            refuse(name, _("%(field)s is required.") % {"field": label})
    for field, message in answer_errors(
        definition,
        application.answers or {},
        current_attachments(application).values_list("kind", flat=True),
    ):
        refuse(field, message)
    amount = application.requested_amount
    if amount is not None:
        if amount <= 0:
            refuse("requested_amount", _("The requested amount must be more than 0 kr."))
        if amount > call.max_amount:
            refuse(
                "requested_amount",
                _("The requested amount is more than the call's maximum of %(max)s kr.")
                % {"max": format_kronor(call.max_amount)},
            )
        lines = list(application.budget_lines.all())
        total = sum(line.amount for line in lines)
        known = {c.key for c in definition.categories}
        for line in lines:
            if line.category not in known:
                refuse(
                    "budget",
                    _("The budget line “%(line)s” has a category this call does not have.")
                    % {"line": line.description},
                )
        if not lines:
            refuse("budget", _("Add at least one budget line."))
        elif total != amount:
            refuse(
                "budget",
                _(
                    "The budget lines add up to %(total)s kr, but the requested amount is "
                    "%(amount)s kr. They must be equal."
                )
                % {"total": format_kronor(total), "amount": format_kronor(amount)},
            )
    if application.hub_id and not call.hubs.filter(pk=application.hub_id).exists():
        refuse("hub", _("The chosen hub is not part of this call."))
    start, end = application.period_start, application.period_end
    if start and end and end < start:
        refuse("period_end", _("The project cannot end before it starts."))
    if start and call.project_start_earliest and start < call.project_start_earliest:
        refuse(
            "period_start",
            _("The project cannot start before %(date)s.")
            % {"date": call.project_start_earliest.isoformat()},
        )
    if end and call.project_end_latest and end > call.project_end_latest:
        refuse(
            "period_end",
            _("The project must end by %(date)s.") % {"date": call.project_end_latest.isoformat()},
        )
    organisation = application.organisation
    if not organisation.is_verified:
        # The agency has not yet checked who the organisation is (or refused it): a draft is
        # fine, a submission is not, since the verified kind decides eligibility.
        refuse(None, organisation_unverified_message(organisation))
    elif organisation.eligibility_kind not in call.eligible_kinds:
        refuse(None, _("Your kind of organisation may not apply to this call."))
    return errors


def snapshot_content(application: Application) -> dict:
    """The content of the working copy as plain data, the thing a version freezes."""
    return {
        "call": application.call.slug,
        "organisation": {
            "orgnr": application.organisation.orgnr,
            "name": application.organisation.name,
            "kind": application.organisation.eligibility_kind,
            "county": application.organisation.county,
        },
        "title": application.title,
        "summary": application.summary,
        "hub": str(application.hub) if application.hub else None,
        "period_start": application.period_start.isoformat() if application.period_start else None,
        "period_end": application.period_end.isoformat() if application.period_end else None,
        "requested_amount": application.requested_amount,
        # The answers to the call's questions, in the definition's order (a version frozen
        # before forms per call has them at the top level instead: ``content_answers``).
        "answers": {
            q.key: application.answers[q.key]
            for q in form_definition(application.call).input_questions
            if q.key in (application.answers or {})
        },
        "contact": {
            "name": application.contact_name,
            "email": application.contact_email,
            "phone": application.contact_phone,
        },
        "budget_lines": [
            {"category": line.category, "description": line.description, "amount": line.amount}
            for line in application.budget_lines.all()
        ],
        "attachments": [
            {
                "id": a.pk,
                "name": a.original_name,
                "size": a.size,
                "sha256": a.sha256,
                "kind": a.kind,
            }
            for a in current_attachments(application).order_by("pk")
        ],
    }


def applications_for_deadline_exception(*, call, orgnr: str) -> QuerySet[Application]:
    """One organisation's applications to a call that a late exception can still help.

    Used by programme managers after a documented outage, when an applicant could not submit
    in time: drafts are listed too (by title and dates only, never their content), since a
    draft that never reached the agency is exactly what the exception is for.
    """
    return (
        Application.objects.filter(
            call=call,
            organisation__orgnr=orgnr,
            state__in=[ApplicationState.DRAFT, ApplicationState.SUBMITTED],
        )
        .select_related("organisation", "call")
        .prefetch_related("deadline_exceptions")
        .order_by("created_at")
    )
