"""Reads for the public register of funded projects."""

from django.db.models import (
    Case,
    DateField,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from ..enums import ApplicationState as S
from ..enums import DecisionOutcome, DecisionStatus
from ..models import ApplicationVersion, Decision


class RegisterStatus:
    """Where a funded project stands, as the register publishes it (stable codes)."""

    GRANTED = "granted"  # approved and released, not yet accepted
    ACCEPTED = "accepted"  # accepted, in follow-up
    CLOSED = "closed"  # accepted and closed after the final report


def register_entries() -> QuerySet:
    """The public register of funded projects, newest decision first, in one query.

    A row is an application's effective decision (confirmed, not replaced by a confirmed
    correction) that approves and has been released to the applicant, where the grant did not
    lapse: the application is approved (waiting for acceptance), in follow-up, or closed after
    it was accepted. Rejected, withdrawn, unconfirmed (proposed or sent back), unreleased and
    lapsed ones never appear.

    Rows are dicts holding only what may be published (``values()``, so a template cannot reach
    anything else): organisation name and number, the call, the title, period and decision date
    as the decision froze them, the summary of the version the decision was taken on (never the
    working copy), the granted amount, the registration number and the status. No person: not
    the contact person, not the presenter or the decision maker.
    """

    decided_version = ApplicationVersion.objects.filter(
        application=OuterRef("application_id"), number=OuterRef("decided_version")
    )
    return (
        Decision.objects.filter(
            status=DecisionStatus.CONFIRMED,
            outcome=DecisionOutcome.APPROVED,
            release__isnull=False,
        )
        .exclude(superseded_by__status=DecisionStatus.CONFIRMED)
        .filter(
            Q(application__state__in=[S.APPROVED, S.FOLLOW_UP])
            | Q(application__state=S.CLOSED, application__acceptance__isnull=False)
        )
        .annotate(decided_version=Cast(KT("letter_data__version__number"), IntegerField()))
        .values(
            "granted_amount",
            "decided_on",
            registration_number=F("application__registration_number"),
            organisation=F("application__organisation__name"),
            organisation_number=F("application__organisation__orgnr"),
            call_slug=F("application__call__slug"),
            call_title_sv=F("application__call__title_sv"),
            call_title_en=F("application__call__title_en"),
            title=KT("letter_data__title"),
            summary=Subquery(decided_version.values(value=KT("content__summary"))[:1]),
            period_start=Cast(KT("letter_data__period__start"), DateField()),
            period_end=Cast(KT("letter_data__period__end"), DateField()),
            register_status=Case(
                When(application__state=S.APPROVED, then=Value(RegisterStatus.GRANTED)),
                When(application__state=S.FOLLOW_UP, then=Value(RegisterStatus.ACCEPTED)),
                default=Value(RegisterStatus.CLOSED),
            ),
        )
        .order_by("-decided_on", "registration_number", "pk")
    )
