"""The audit log's one writer, ``audit_record``, and the chain's reader, ``audit_verify_chain``.

Every entry holds the SHA-256 of the one before, so a changed, removed or inserted entry breaks
the chain where it happened (``manage.py audit_verify`` finds the first broken link). Appends
queue on the one ``AuditChainHead`` row, which stays locked until the caller's transaction
commits: that is what makes the sequence gap-free and the chain one line when many processes
write at once, and it is why ``audit_record`` must be the *last* lock a transaction takes
(record after every other ``select_for_update``; a transaction holding the head while waiting
for another row could deadlock with one holding that row and waiting for the head).

``data`` holds ids, states, amounts, counts and reason codes only: never names, email addresses
or free text written about a person, so anonymising a person never touches the log.
"""

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import AuditChainHead, AuditEntry, User
from .models.audit import GENESIS_HASH, at_iso, entry_hash

HEAD_PK = 1
ACTION_MAX_LENGTH = AuditEntry._meta.get_field("action").max_length

# Every action written today, with its label for the audit page (an unknown code shows as is).
ACTIONS = {
    "application.submit": _("Application submitted"),
    "application.submit_new_version": _("New version submitted"),
    "application.withdraw": _("Application withdrawn"),
    "application.return_for_completion": _("Returned for completion"),
    "application.deadline_exception": _("Late exception recorded"),
    "application.eligibility_check": _("Eligibility checklist saved"),
    "application.start_review": _("Review started"),
    "application.complete_review": _("Review completed"),
    "application.approve": _("Application approved"),
    "application.reject": _("Application rejected"),
    "application.reject_ineligible": _("Application rejected as ineligible"),
    "application.accept_grant": _("Grant accepted"),
    "application.lapse": _("Grant lapsed"),
    "application.close": _("Grant closed"),
    "decision.propose": _("Decision proposed"),
    "decision.confirm": _("Decision confirmed"),
    "decision.send_back": _("Decision sent back"),
    "decision.release": _("Decision released to the applicant"),
    "decision.letter_stored": _("Decision letter stored"),
    "closing_letter.stored": _("Closing letter stored"),
    "report.submit": _("Report submitted"),
    "report.return": _("Report returned for completion"),
    "report.approve": _("Report approved"),
    "payment.paid": _("Instalment recorded as paid"),
    "repayment.claim": _("Repayment claimed"),
    "repayment.received": _("Repayment recorded as received"),
    "panel.set_employer": _("Reviewer's employer recorded"),
    "panel.deactivate": _("Reviewer taken off the panel"),
    "conflict.declare": _("Conflict of interest declaration made"),
    "conflict.override": _("Conflict of interest decided by a programme manager"),
    "assignment.add": _("Reviewer assigned"),
    "assignment.remove": _("Reviewer's assignment removed"),
    "review.submit": _("Review submitted"),
    "export.case_list": _("Case list exported"),
    "export.ranking": _("Ranking exported"),
    "export.finance": _("Finance file exported"),
    "attachment.scan_clean": _("Attachment checked: no malware found"),
    "attachment.scan_refused": _("Attachment refused: malware found"),
    "call.create": _("Call created"),
    "call.copy": _("Call created as a copy"),
    "call.change": _("Call changed"),
    "call.publish": _("Call published"),
    "call.form_change": _("Call's application form changed"),
    "user.verify_email": _("Email address verified"),
    "organisation.register": _("Organisation registered"),
    "organisation.verify": _("Organisation verified by the agency"),
    "organisation.refuse": _("Organisation refused by the agency"),
    "organisation.claim": _("Claim to an organisation number sent"),
    "organisation.claim_resolve": _("Claim to an organisation number decided"),
    "membership.signing_right": _("Signing right given or taken away"),
    "login.staff": _("Staff login"),
    "login.staff_failed": _("Failed staff login"),
    "site_page.change": _("Page about the service changed"),
}

# What entries are about, for the audit page's filter.
OBJECT_TYPES = {
    "applications.application": _("Application"),
    "applications.attachment": _("Attachment"),
    "applications.decision": _("Decision"),
    "applications.decisionletter": _("Decision letter"),
    "applications.closingletter": _("Closing letter"),
    "applications.report": _("Report"),
    "applications.payment": _("Payment"),
    "applications.repaymentclaim": _("Repayment claim"),
    "applications.user": _("Person"),
    "applications.organisation": _("Organisation"),
    "applications.organisationclaim": _("Claim to an organisation"),
    "applications.membership": _("Membership"),
    "grants.call": _("Call"),
    "grants.sitepage": _("Page about the service"),
    "reviews.panelmember": _("Panel member"),
    "reviews.conflictdeclaration": _("Declaration of conflicts"),
    "reviews.conflictoverride": _("Conflict decision"),
    "reviews.assignment": _("Assignment"),
    "reviews.review": _("Review"),
}


def _clean(value, where: str = "data"):
    """``data`` as plain JSON that reads back the same from every database (no floats, whose
    spelling a database may change, and nothing that is not JSON)."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return str(value)  # a TextChoices member becomes its plain value
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.datetime):
        return at_iso(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_clean(item, f"{where}[]") for item in value]
    if isinstance(value, dict):
        cleaned = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"audit {where}: keys must be text, not {key!r}")
            cleaned[key] = _clean(item, f"{where}.{key}")
        return cleaned
    raise TypeError(f"audit {where}: {type(value).__name__} is not allowed in the audit log")


def _lock_head() -> AuditChainHead:
    head = AuditChainHead.objects.select_for_update().filter(pk=HEAD_PK).first()
    if head is None:
        # Only before the first entry (or after a test flush): made once, whoever comes first.
        AuditChainHead.objects.bulk_create([AuditChainHead(pk=HEAD_PK)], ignore_conflicts=True)
        head = AuditChainHead.objects.select_for_update().get(pk=HEAD_PK)
    return head


def audit_record(
    *,
    action: str,
    actor: User | None,
    target: models.Model | None = None,
    data: dict | None = None,
) -> AuditEntry:
    """Append one entry to the chain, inside the caller's transaction.

    ``action`` is a short code (``application.submit``, ``decision.confirm``); ``actor`` is
    the person, or None for the system; ``target`` the object acted on. Side effects: the
    entry and the chain head, written with the caller's change, so they commit or roll back
    with it. Call it after every other row lock of the transaction (see the module's note).
    """
    if not action or len(action) > ACTION_MAX_LENGTH:
        raise ValueError(f"audit action must be 1 to {ACTION_MAX_LENGTH} characters: {action!r}")
    cleaned = _clean(data or {})
    if actor is not None and not actor.is_authenticated:
        actor = None
    object_type = target._meta.label_lower if target is not None else ""
    object_id = target.pk if target is not None else None
    # Checked above, outside the transaction: a caller's bad data raises without marking the
    # caller's transaction for rollback. No savepoint: a failed append fails the change.
    with transaction.atomic(savepoint=False):
        head = _lock_head()
        entry = AuditEntry(
            sequence=head.sequence + 1,
            at=timezone.now(),  # read under the lock, so time follows the sequence
            actor=actor,
            action=action,
            object_type=object_type,
            object_id=object_id,
            data=cleaned,
            prev_hash=head.hash,
        )
        entry.hash = entry.compute_hash()
        if connection.vendor == "postgresql":
            _append_and_advance(entry)
        else:
            entry.save()
            AuditChainHead.objects.filter(pk=HEAD_PK).update(
                sequence=entry.sequence, hash=entry.hash
            )
    return entry


def _append_and_advance(entry: AuditEntry) -> None:
    """On PostgreSQL: the entry's insert and the head's move in one statement (a data-modifying
    ``WITH``), so the head, which every writer queues on, is held for one round trip less."""
    fields = [field for field in AuditEntry._meta.concrete_fields if not field.primary_key]
    quote = connection.ops.quote_name
    sql = (
        f"WITH appended AS (INSERT INTO {quote(AuditEntry._meta.db_table)} "  # noqa: S608 (our names)
        f"({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING {quote('id')}) "
        f"UPDATE {quote(AuditChainHead._meta.db_table)} SET {quote('sequence')} = %s, "
        f"{quote('hash')} = %s WHERE {quote('id')} = %s RETURNING (SELECT id FROM appended)"
    )
    values = [field.get_db_prep_save(getattr(entry, field.attname), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, entry.sequence, entry.hash, HEAD_PK])
        entry.pk = cursor.fetchone()[0]
    entry._state.adding = False
    entry._state.db = connection.alias


# -- reading ---------------------------------------------------------------------------------------


def audit_entries(*, action: str = "", object_type: str = "", object_id: int | None = None):
    """The log, newest first, with the actor; filtered by action and by object (both indexed)."""
    entries = AuditEntry.objects.select_related("actor").order_by("-sequence")
    if action:
        entries = entries.filter(action=action)
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id is not None:
        entries = entries.filter(object_id=object_id)
    return entries


# -- verifying the chain -------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    """The outcome of walking the chain: ``broken`` is None when every link holds."""

    count: int
    last_hash: str
    broken_at: int | None = None
    broken: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None


FIELDS = (
    "sequence",
    "at",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "data",
    "prev_hash",
    "hash",
)


def _rows(chunk_size: int) -> Iterator[tuple]:
    return (
        AuditEntry.objects.order_by("sequence").values_list(*FIELDS).iterator(chunk_size=chunk_size)
    )


def audit_verify_chain(*, chunk_size: int = 2000) -> ChainReport:
    """Walk the chain in order, streaming, and report the first broken link.

    Checks, entry by entry: the sequence goes on from 1 without a gap, ``prev_hash`` is the
    hash of the entry before, and the hash recomputed from the entry's content is the one
    stored. At the end, the chain head must name the last entry (entries taken off the end
    leave no other trace).
    """
    expected_sequence = 1
    prev_hash = GENESIS_HASH
    count = 0
    for sequence, at, actor_id, action, object_type, object_id, data, prev, stored in _rows(
        chunk_size
    ):
        if sequence != expected_sequence:
            if sequence > expected_sequence:
                missing = (
                    f"{expected_sequence}"
                    if sequence == expected_sequence + 1
                    else f"{expected_sequence} to {sequence - 1}"
                )
                problem = f"the sequence jumps from {expected_sequence - 1} to {sequence}"
                problem += f" (missing {missing})"
            else:
                problem = f"the sequence repeats {sequence}"
            return ChainReport(count, prev_hash, sequence, problem)
        if prev != prev_hash:
            return ChainReport(
                count,
                prev_hash,
                sequence,
                f"prev_hash {prev} is not the hash of entry {sequence - 1} ({prev_hash})",
            )
        computed = entry_hash(
            sequence=sequence,
            at_iso=at_iso(at),
            actor_id=actor_id,
            action=action,
            object_type=object_type,
            object_id=object_id,
            data=data,
            prev_hash=prev,
        )
        if computed != stored:
            return ChainReport(
                count,
                prev_hash,
                sequence,
                f"the content does not match its hash (stored {stored}, computed {computed})",
            )
        count += 1
        prev_hash = stored
        expected_sequence += 1
    head = AuditChainHead.objects.filter(pk=HEAD_PK).values_list("sequence", "hash").first()
    head_sequence, head_hash = head or (0, GENESIS_HASH)
    if (head_sequence, head_hash) != (count, prev_hash):
        return ChainReport(
            count,
            prev_hash,
            count + 1,
            f"the chain ends at entry {count}, but its head names entry {head_sequence} "
            f"with hash {head_hash} (entries taken off the end?)",
        )
    return ChainReport(count, prev_hash)
