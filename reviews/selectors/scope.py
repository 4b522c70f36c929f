"""Reads: which applications a panel works on, in which state, and the version it looks at."""

import re

from django.db.models import QuerySet, Subquery

from applications.enums import ApplicationState
from applications.models import Application, ApplicationVersion
from applications.selectors.applications import (
    applications_visible_to,
    latest_version_subquery,
    latest_version_values,
    versions_latest_first,
)
from grants.models import Call

S = ApplicationState

# Applications a panel declares conflicts for: received and not withdrawn or decided.
DECLARATION_STATES = [S.SUBMITTED, S.RETURNED, S.IN_REVIEW]
# Applications that can be assigned and reviewed.
REVIEW_STATES = [S.IN_REVIEW]
# Applications shown in the ranking: review started, whatever happened since.
RANKING_STATES = [S.IN_REVIEW, S.REVIEWED, S.APPROVED, S.REJECTED, S.FOLLOW_UP, S.CLOSED]


def with_latest_version(queryset: QuerySet[Application]) -> QuerySet[Application]:
    """Annotate ``latest_version_id``: the version reviewers and the ranking look at."""
    return queryset.annotate(
        latest_version_id=Subquery(latest_version_subquery("pk").values("pk")[:1])
    )


def latest_versions(applications) -> dict[int, ApplicationVersion]:
    """application id → its latest submitted version, in one query."""
    ids = [a.latest_version_id for a in applications if a.latest_version_id]
    versions = ApplicationVersion.objects.filter(pk__in=ids)
    return {v.application_id: v for v in versions}


def latest_titles(application_ids) -> dict[int, str]:
    """application id → the title in its latest submitted version (never the working copy).

    One query, reading only the title out of each version's content.
    """
    versions = ApplicationVersion.objects.filter(application_id__in=list(application_ids))
    return {
        application_id: title or ""
        for application_id, (title,) in latest_version_values(versions, "content__title").items()
    }


def declaration_scope(call: Call) -> QuerySet[Application]:
    """The applications a panel member declares conflicts for (names and titles only)."""
    return with_latest_version(
        call.applications.filter(
            state__in=DECLARATION_STATES, registration_number__isnull=False
        ).select_related("organisation")
    ).order_by("registration_number")


def declaration_scope_application(call: Call, pk: str) -> QuerySet[Application]:
    """The application ``pk`` (as posted: any text) if it is in the call's declaration scope."""
    if not re.fullmatch(r"[0-9]{1,18}", str(pk)):  # a number the database can hold
        return Application.objects.none()
    return declaration_scope(call).filter(pk=int(pk))


def applications_for_assignment(call: Call) -> QuerySet[Application]:
    return call.applications.filter(state__in=REVIEW_STATES).select_related("organisation")


def registered_applications(call: Call) -> QuerySet[Application]:
    """The call's applications that have a registration number, with their organisation."""
    return call.applications.exclude(registration_number=None).select_related("organisation")


def registered_applications_visible_to(user) -> QuerySet[Application]:
    return applications_visible_to(user).exclude(registration_number=None)


def latest_version_with_submitter(application: Application) -> ApplicationVersion | None:
    """The latest submitted version a reviewer reads, with who submitted it."""
    return versions_latest_first(application.versions.select_related("submitted_by")).first()
