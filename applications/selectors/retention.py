"""Reads for the retention job: when each case ended, and which cases and people have
expired."""

import datetime as dt
from collections import defaultdict
from typing import NamedTuple

from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from .. import personal_data
from ..dates import years_after
from ..enums import ApplicationState
from ..models import (
    Acceptance,
    Application,
    ApplicationTransition,
    ApplicationVersion,
    Attachment,
    DeadlineException,
    Membership,
    Report,
    User,
)
from ..rules import DECISION_MAKERS, PROGRAMME_MANAGERS

# A case in one of these states is over; its personal data is kept for the call's
# ``personal_data_retention_years`` after its end, then the retention job removes it.
ENDED_STATES = (ApplicationState.CLOSED, ApplicationState.REJECTED, ApplicationState.WITHDRAWN)
ANONYMISED_NAME = "Anonymiserad person {pk}"
ANONYMISED_EMAIL = "anonymised-{pk}@invalid"


class RetentionPlan(NamedTuple):
    """What the retention job does on a day: ids, never names (the plan is printed)."""

    case_ids: list[int]  # expired cases that still hold contact details or unredacted versions
    user_ids: list[int]  # people to anonymise


def case_ends(*, now) -> dict[int, tuple[dt.datetime, int]]:
    """Every case that is over, with the moment it ended and its call's retention in years.

    A case is over when it is closed (``closed_at``), rejected or withdrawn (the time of the
    transition into that state, which is when the decision was confirmed or the withdrawal
    made). A draft that was never submitted is over once its deadline (the call's closing time,
    or a late exception) has passed, since it can never be submitted after that.
    """

    into_state = (
        ApplicationTransition.objects.filter(application=OuterRef("pk"), target=OuterRef("state"))
        .order_by("-at", "-pk")
        .values("at")[:1]
    )
    exception = (
        DeadlineException.objects.filter(application=OuterRef("pk"))
        .order_by("-granted_at", "-pk")
        .values("new_deadline")[:1]
    )
    rows = (
        Application.objects.filter(Q(state__in=ENDED_STATES) | Q(state=ApplicationState.DRAFT))
        .annotate(
            ended_at=Coalesce("closed_at", Subquery(into_state)),
            draft_deadline=Coalesce(Subquery(exception), "call__closes_at"),
        )
        .values_list(
            "pk", "state", "ended_at", "draft_deadline", "call__personal_data_retention_years"
        )
    )
    ends = {}
    for pk, state, ended_at, draft_deadline, years in rows:
        if state == ApplicationState.DRAFT:
            ended_at = draft_deadline if draft_deadline <= now else None
        if ended_at is not None:
            ends[pk] = (ended_at, years)
    return ends


def personal_data_expired(*, today: dt.date) -> RetentionPlan:
    """Which cases and which people the retention job anonymises on ``today``.

    A case has expired when it is over (``case_ends``) and more than its call's retention years
    have passed since the day it ended (Stockholm time): a case closed on 1 June 2016 with ten
    years' retention is kept through 1 June 2026 and anonymised from the 2nd.

    A person is anonymised when they are tied to at least one case and every case they are tied
    to has expired, and they are not agency staff (programme manager, decision maker, admin-site
    user or superuser) and not already anonymised. A person is tied to a case by a membership of
    the applying organisation, by having created it, being its contact person (by email
    address), submitted a version, uploaded an attachment, made a transition, accepted the grant
    or submitted a report, and through the parts of apps above (a reviewer: their panels' cases,
    declarations and assignments). An organisation with an open case, or a seat on the panel of
    a call not yet finished, therefore keeps its people. Nobody tied to no case is touched.
    """

    now = timezone.now()
    expired = {
        pk
        for pk, (ended_at, years) in case_ends(now=now).items()
        if years_after(timezone.localdate(ended_at), years) < today
    }

    ties: dict[int, set[int]] = defaultdict(set)

    def tie(pairs) -> None:
        for user_id, application_id in pairs:
            if user_id is not None and application_id is not None:
                ties[user_id].add(application_id)

    tie(Application.objects.values_list("created_by_id", "pk"))
    tie(Membership.objects.values_list("user_id", "organisation__applications__pk"))
    tie(ApplicationVersion.objects.values_list("submitted_by_id", "application_id"))
    tie(Attachment.objects.values_list("uploaded_by_id", "application_id"))
    tie(ApplicationTransition.objects.values_list("actor_id", "application_id"))
    tie(Acceptance.objects.values_list("accepted_by_id", "application_id"))
    tie(Report.objects.values_list("submitted_by_id", "application_id"))
    people = {email.lower(): pk for pk, email in User.objects.values_list("pk", "email")}
    tie(
        (people.get(contact.lower()), pk)
        for pk, contact in Application.objects.exclude(contact_email="").values_list(
            "pk", "contact_email"
        )
    )
    kept: set[int] = set()
    for part in personal_data.parts():
        for user_id, application_ids in part.cases_of().items():
            ties[user_id] |= application_ids
        kept |= part.keeps(now)

    kept |= set(
        User.objects.filter(
            Q(is_superuser=True)
            | Q(is_staff=True)
            | Q(groups__name__in=[PROGRAMME_MANAGERS, DECISION_MAKERS])
            | Q(email__startswith="anonymised-", email__endswith="@invalid", is_active=False)
        ).values_list("pk", flat=True)
    )
    user_ids = sorted(
        user_id
        for user_id, application_ids in ties.items()
        if user_id not in kept and application_ids <= expired
    )

    unredacted = ApplicationVersion.objects.filter(
        application=OuterRef("pk"), redacted_at__isnull=True
    )
    rows = Application.objects.annotate(unredacted=Exists(unredacted)).values_list(
        "pk", "contact_name", "contact_email", "contact_phone", "unredacted"
    )
    case_ids = sorted(pk for pk, *held in rows if pk in expired and any(held))
    return RetentionPlan(case_ids=case_ids, user_ids=user_ids)
