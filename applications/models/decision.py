import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from ..enums import DecisionOutcome, DecisionStatus, Language
from .application import Application


class ImmutableDecision(Exception):
    """A confirmed decision or an issued letter was about to be changed or deleted."""


class DecisionQuerySet(models.QuerySet):
    """Bulk updates and deletes refuse confirmed decisions too (``save`` is not called there)."""

    def _refuse_confirmed(self, what: str) -> None:
        if self.filter(status=DecisionStatus.CONFIRMED).exists():
            raise ImmutableDecision(f"A confirmed decision is never {what}.")

    def update(self, **kwargs):
        self._refuse_confirmed("changed")
        return super().update(**kwargs)

    def delete(self):
        self._refuse_confirmed("deleted")
        return super().delete()


class Decision(models.Model):
    """The agency's decision on one application, proposed by one person, confirmed by another.

    Once confirmed it is never changed or deleted (``save``/``delete`` refuse, and a database
    trigger refuses any UPDATE or DELETE of a confirmed row); a correction is a new decision
    that ``supersedes`` it. ``letter_data`` freezes, at confirmation, everything the letter
    shows, so the letter is made from the decision alone and reads the same forever.
    """

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="decisions")
    outcome = models.CharField(_("outcome"), max_length=20, choices=DecisionOutcome.choices)
    granted_amount = models.PositiveIntegerField(_("granted amount (kr)"), default=0)
    conditions = models.TextField(_("conditions"), blank=True)
    justification = models.TextField(_("justification"))
    # The key of one of the call's reasons for ineligibility (``grants.IneligibilityReasonItem``);
    # a reason taken off the call's list later stays, inactive, so this still reads.
    reason_code = models.CharField(_("reason code"), max_length=20, blank=True)
    feedback = models.TextField(_("feedback for the applicant"), blank=True)
    # Why an approval goes ahead although the application is below a threshold of the call
    # (a criterion's or the total score's). Required for such an approval; on the decision pages.
    threshold_override = models.TextField(_("reason for approving below a threshold"), blank=True)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=DecisionStatus.choices, default=DecisionStatus.PROPOSED
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("presenter"),
    )
    proposed_at = models.DateTimeField(_("proposed at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decision maker"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    decided_on = models.DateField(_("decision date"), null=True, blank=True)
    sent_back_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sent_back_at = models.DateTimeField(null=True, blank=True)
    sent_back_comment = models.TextField(_("comment when sent back"), blank=True)
    supersedes = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        verbose_name=_("corrects"),
    )
    letter_data = models.JSONField(null=True, blank=True)

    objects = DecisionQuerySet.as_manager()

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        constraints = [
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")),
                name="decision_four_eyes",
            ),
            models.CheckConstraint(
                condition=Q(outcome=DecisionOutcome.APPROVED, granted_amount__gt=0)
                | (~Q(outcome=DecisionOutcome.APPROVED) & Q(granted_amount=0)),
                name="decision_amount_matches_outcome",
            ),
            models.CheckConstraint(
                condition=~Q(status=DecisionStatus.CONFIRMED)
                | Q(
                    decided_by__isnull=False,
                    confirmed_at__isnull=False,
                    decided_on__isnull=False,
                    letter_data__isnull=False,
                ),
                name="decision_confirmed_is_complete",
            ),
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(status=DecisionStatus.PROPOSED),
                name="one_open_proposal_per_application",
            ),
            models.UniqueConstraint(
                fields=["supersedes"],
                condition=Q(status=DecisionStatus.CONFIRMED),
                name="one_correction_per_decision",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application}: {self.get_outcome_display()} ({self.get_status_display()})"

    def save(self, *args, **kwargs):
        if self._stored_status() == DecisionStatus.CONFIRMED:
            raise ImmutableDecision("A confirmed decision is never changed; make a correction.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._stored_status() == DecisionStatus.CONFIRMED:
            raise ImmutableDecision("A confirmed decision is never deleted.")
        return super().delete(*args, **kwargs)

    @property
    def reason_label(self) -> str:
        """The reason for ineligibility as the reader reads it: the label the letter froze, else
        the call's label for the key (a reason no longer offered too)."""
        if not self.reason_code:
            return ""
        frozen = (self.letter_data or {}).get("reason_label")
        return frozen or self.application.call.reason_label(self.reason_code)

    @property
    def is_confirmed(self) -> bool:
        return self.status == DecisionStatus.CONFIRMED

    def _stored_status(self):
        if self.pk is None:
            return None
        return type(self).objects.filter(pk=self.pk).values_list("status", flat=True).first()


def letter_key(instance, filename: str) -> str:
    return f"letters/{uuid.uuid4().hex}/{uuid.uuid4().hex}.pdf"


class DecisionLetterQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableDecision("An issued letter is never changed.")

    def delete(self):
        raise ImmutableDecision("An issued letter is never deleted.")


class DecisionLetter(models.Model):
    """The PDF letter of a confirmed decision, with its SHA-256. Written once, never changed."""

    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="letter")
    file = models.FileField(upload_to=letter_key, max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    generated_at = models.DateTimeField(auto_now_add=True)

    objects = DecisionLetterQuerySet.as_manager()

    class Meta:
        verbose_name = _("decision letter")
        verbose_name_plural = _("decision letters")

    def __str__(self) -> str:
        return f"{self.decision.application} letter"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ImmutableDecision("An issued letter is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableDecision("An issued letter is never deleted.")


class DecisionRelease(models.Model):
    """When a confirmed decision's letter and email went out to the applicant.

    Written straight after confirmation, or later by a programme manager when the call holds
    decisions for a common decision date (the outbox).
    """

    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="release")
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("release of a decision")
        verbose_name_plural = _("releases of decisions")

    def __str__(self) -> str:
        return f"{self.decision} released"


class CallCommitment(models.Model):
    """What a call's effective approvals grant, kept current so confirming costs the same at
    ten decisions as at ten thousand.

    One row per call (made by the first service that commits money to it), changed only by
    the services that change what is committed (``services.commitments``): confirming an
    approval (+ its amount), confirming a correction of one (+ the difference) and a grant
    lapsing (− its amount, the money goes back to the call). Every change is made while the
    call's row is locked (``SELECT … FOR UPDATE``), the same lock a confirmation takes, so the
    figure read under that lock is exact. It always equals the sum the old way
    (``selectors.decisions.call_committed_amount_summed``), checked by the tests and by
    ``manage.py budget_verify``. Repayment claims do not change it: the budget rule counts
    what was granted, as before.
    """

    call = models.OneToOneField(
        "grants.Call", on_delete=models.CASCADE, primary_key=True, related_name="commitment"
    )
    amount = models.PositiveBigIntegerField(_("committed (kr)"), default=0)

    class Meta:
        verbose_name = _("committed amount of a call")
        verbose_name_plural = _("committed amounts of calls")

    def __str__(self) -> str:
        return f"{self.call_id}: {self.amount}"
