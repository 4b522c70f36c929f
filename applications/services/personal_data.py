"""Personal data: the retention job that anonymises people and cases whose time has run out."""

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from applications.selectors.retention import (
    ANONYMISED_EMAIL,
    ANONYMISED_NAME,
    RetentionPlan,
    personal_data_expired,
)

from .. import personal_data
from ..models import Application, ApplicationVersion, Invitation, Membership, User

# A batch of ids per query, well under every database's limit on bound parameters.
_CHUNK = 500


def _chunks(ids: list[int]):
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def redact_snapshot(content: dict) -> dict:
    """A frozen version's content with the contact person's details blanked.

    The rest (the organisation, a legal entity, and what it applied for) stays: it is the
    agency's record of what was received, and the version's SHA-256 still proves it.
    """
    redacted = dict(content)
    if "contact" in redacted:
        redacted["contact"] = {"name": "", "email": "", "phone": ""}
    return redacted


def _person_anonymise(user: User, *, at) -> None:
    old_email = user.email
    user.full_name = ANONYMISED_NAME.format(pk=user.pk)
    user.email = ANONYMISED_EMAIL.format(pk=user.pk)
    user.phone = ""
    user.is_active = False
    user.last_login = None
    user.set_unusable_password()
    user.save(update_fields=["full_name", "email", "phone", "is_active", "last_login", "password"])
    user.groups.clear()
    user.user_permissions.clear()
    Membership.objects.filter(user=user).delete()
    Invitation.objects.filter(Q(email__iexact=old_email) | Q(accepted_by=user)).update(
        email=user.email
    )
    # Nobody joins through an anonymised person's invitation, or with their old address.
    Invitation.objects.filter(
        Q(email=user.email) | Q(invited_by=user), accepted_at__isnull=True, expires_at__gt=at
    ).update(expires_at=at)
    for part in personal_data.parts():
        part.anonymise(user=user, old_email=old_email, at=at)


@transaction.atomic
def personal_data_anonymise_expired(*, today) -> RetentionPlan:
    """The daily retention job: anonymise the people and cases whose retention has run out.

    Who and which (``personal_data_expired``): cases over for longer than their
    call's ``personal_data_retention_years``, and people tied only to such cases.

    Side effects, in one transaction:
    - each such person: name ``Anonymiserad person <id>``, email ``anonymised-<id>@invalid``,
      phone blank, unusable password, inactive (so they can no longer log in, and their
      sessions stop working); agency groups, memberships ended; invitations to their address
      carry the anonymised address, and pending ones to or from them are ended; the parts of
      apps above (a reviewer's panel invitations and employer) are anonymised by those apps;
    - each such case: the contact person's name, email and phone blanked on the application,
      and inside every frozen version's content, which records ``redacted_at`` and keeps its
      ``sha256``, the hash of what was received.
    Decisions, their letters and the closing letters are official records and are not changed
    (they name only the agency's staff, acting in office, and the organisation); the audit log
    holds no personal data. Running it again changes nothing more. Returns what was done.
    """
    plan = personal_data_expired(today=today)
    now = timezone.now()
    for ids in _chunks(plan.user_ids):
        for user in User.objects.select_for_update().filter(pk__in=ids).order_by("pk"):
            _person_anonymise(user, at=now)
    for ids in _chunks(plan.case_ids):
        Application.objects.filter(pk__in=ids).update(
            contact_name="", contact_email="", contact_phone=""
        )
        versions = ApplicationVersion.objects.select_for_update().filter(
            application_id__in=ids, redacted_at__isnull=True
        )
        for version in versions.order_by("pk"):
            version.content = redact_snapshot(version.content)
            version.redacted_at = now
            version.save(update_fields=["content", "redacted_at"])
    return plan
