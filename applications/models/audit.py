"""The audit log: an append-only chain of entries, each holding the hash of the one before.

An entry records who did what to which object, with ids, states, amounts and reason codes in
``data``; never names, email addresses or free text about a person, so people can be anonymised
without touching the log (and without breaking the chain). Entries are written only through
``applications.audit.audit_record`` and checked by ``manage.py audit_verify``.
"""

import hashlib
import json
from datetime import UTC

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class ImmutableAuditEntry(Exception):
    """An audit entry was about to be changed or deleted."""


class AuditEntryQuerySet(models.QuerySet):
    """Bulk updates and deletes are refused: ``save`` and ``delete`` are not called there."""

    def update(self, **kwargs):
        raise ImmutableAuditEntry("Audit entries are never changed.")

    def delete(self):
        raise ImmutableAuditEntry("Audit entries are never deleted.")


def canonical_json(value) -> str:
    """The one spelling of a value that is hashed: sorted keys, no spaces, UTF-8 text."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def entry_hash(
    *,
    sequence: int,
    at_iso: str,
    actor_id: int | None,
    action: str,
    object_type: str,
    object_id: int | None,
    data: dict,
    prev_hash: str,
) -> str:
    """SHA-256 over the canonical JSON of everything an entry says, and its predecessor's hash."""
    payload = {
        "sequence": sequence,
        "at": at_iso,
        "actor": actor_id,
        "action": action,
        "object": [object_type, object_id],
        "data": data,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


def at_iso(moment) -> str:
    """A moment as hashed: UTC, to the microsecond, as the database gives it back."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class AuditEntry(models.Model):
    """One thing that happened, in its place in the chain (``sequence`` 1, 2, 3, … no gaps)."""

    sequence = models.PositiveBigIntegerField(_("sequence"), unique=True)
    at = models.DateTimeField(_("time"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        # A person with entries is anonymised, never deleted: the log keeps their id.
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=50)
    object_type = models.CharField(_("object type"), max_length=50, blank=True)
    object_id = models.PositiveBigIntegerField(_("object id"), null=True, blank=True)
    data = models.JSONField(_("data"), default=dict)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["action", "sequence"], name="audit_action_idx"),
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(sequence__gte=1), name="audit_sequence_gte_1")
        ]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None or kwargs.get("force_update"):
            raise ImmutableAuditEntry("Audit entries are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableAuditEntry("Audit entries are never deleted.")

    def compute_hash(self) -> str:
        return entry_hash(
            sequence=self.sequence,
            at_iso=at_iso(self.at),
            actor_id=self.actor_id,
            action=self.action,
            object_type=self.object_type,
            object_id=self.object_id,
            data=self.data,
            prev_hash=self.prev_hash,
        )


class AuditChainHead(models.Model):
    """The end of the chain: one row, locked by every append so appends queue in order.

    Holding the last sequence and hash here (rather than reading the last entry) keeps the lock
    on one known row, which exists even before the first entry; it is written in the same
    transaction as the entry, so a rolled-back change rolls its place in the chain back too.
    """

    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="audit_head_single")]

    def __str__(self) -> str:
        return f"audit head #{self.sequence}"
