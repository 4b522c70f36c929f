"""Follow-up of a granted application: acceptance, payments, reports, repayment and closure.

The granted amount is the effective decision's (``selectors.effective_decision``); the payment
plan's instalments always add up to it. Money is in whole kronor.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from grants.enums import InstalmentTrigger

from ..enums import (
    DeadlineKind,
    PaymentStatus,
    ReminderKind,
    ReportKind,
    ReportStatus,
)
from .application import Application
from .decision import Decision, ImmutableDecision


class Acceptance(models.Model):
    """A signatory's acceptance of a grant's conditions: who, when, and the exact text."""

    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="acceptance"
    )
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="+")
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(_("accepted at"))
    text = models.TextField(_("text accepted"))
    text_sha256 = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("acceptance")
        verbose_name_plural = _("acceptances")

    def __str__(self) -> str:
        return f"{self.application} accepted"


class Payment(models.Model):
    """One instalment of a grant.

    ``planned_amount`` is the plan's share of the granted amount (the plan adds up exactly);
    ``amount`` is what is to be paid, which the final report's settlement may lower (never raise).
    """

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="payments")
    position = models.PositiveSmallIntegerField(_("instalment"))
    trigger = models.CharField(_("paid"), max_length=20, choices=InstalmentTrigger.choices)
    report_number = models.PositiveSmallIntegerField(
        _("interim report"),
        null=True,
        blank=True,
        help_text=_("For instalments after an interim report."),
    )
    share = models.PositiveSmallIntegerField(_("share (per cent)"))
    planned_amount = models.PositiveIntegerField(_("planned amount (kr)"))
    amount = models.PositiveIntegerField(_("amount to pay (kr)"))
    status = models.CharField(
        _("status"), max_length=10, choices=PaymentStatus.choices, default=PaymentStatus.PLANNED
    )
    due_since = models.DateField(_("due since"), null=True, blank=True)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reference = models.CharField(_("payment reference"), max_length=100, blank=True)

    class Meta:
        ordering = ["application", "position"]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "position"], name="one_instalment_per_position"
            ),
            models.CheckConstraint(
                condition=Q(amount__lte=models.F("planned_amount")), name="payment_within_plan"
            ),
            models.CheckConstraint(
                condition=~Q(status=PaymentStatus.PAID) | Q(paid_on__isnull=False, amount__gt=0),
                name="payment_paid_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application} #{self.position}"


class RepaymentClaim(models.Model):
    """Money the organisation pays back because it spent less than it was paid."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="repayment_claims"
    )
    report = models.ForeignKey("Report", on_delete=models.PROTECT, related_name="+", null=True)
    amount = models.PositiveIntegerField(_("amount (kr)"))
    created_at = models.DateTimeField(auto_now_add=True)
    settled_on = models.DateField(_("repaid on"), null=True, blank=True)
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]
        verbose_name = _("repayment claim")
        verbose_name_plural = _("repayment claims")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="repayment_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.application} repays {self.amount}"


class Report(models.Model):
    """An interim or the final report: narrative, the trial's figures and the money spent."""

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="reports")
    kind = models.CharField(_("kind"), max_length=10, choices=ReportKind.choices)
    number = models.PositiveSmallIntegerField(_("number"), default=1)
    due_on = models.DateField(_("due"))
    status = models.CharField(
        _("status"), max_length=10, choices=ReportStatus.choices, default=ReportStatus.DRAFT
    )

    what_was_done = models.TextField(_("what was done"), blank=True)
    lessons = models.TextField(_("what the organisation learnt"), blank=True)
    participants = models.PositiveIntegerField(_("employees taking part"), null=True, blank=True)
    hub_days = models.PositiveIntegerField(_("days used at the hub"), null=True, blank=True)
    measures = models.JSONField(_("other measures"), default=dict, blank=True)
    total_spent = models.PositiveIntegerField(_("total spent (kr)"), null=True, blank=True)

    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_comment = models.TextField(_("comment from the agency"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Counts the draft's saves; a save from a page read at an older count is refused
    # (applications.services.follow_up.report_save), as for the application's working copy.
    edit_version = models.PositiveIntegerField(_("edit version"), default=0, editable=False)

    class Meta:
        ordering = ["application", "due_on", "number"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = [
            models.UniqueConstraint(
                fields=["application", "kind", "number"], name="one_report_per_number"
            ),
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(kind=ReportKind.FINAL),
                name="one_final_report",
            ),
        ]
        indexes = [models.Index(fields=["status", "due_on"])]

    def __str__(self) -> str:
        return f"{self.application}: {self.title}"

    @property
    def title(self) -> str:
        if self.kind == ReportKind.FINAL:
            return str(_("Final report"))
        return str(_("Interim report %(number)s") % {"number": self.number})

    @property
    def is_editable(self) -> bool:
        return self.status in (ReportStatus.DRAFT, ReportStatus.RETURNED)


class ReportCost(models.Model):
    """The financial report: what was spent on one line of the granted budget."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="costs")
    position = models.PositiveSmallIntegerField(default=0)
    category = models.CharField(_("category"), max_length=20)  # the call's category key
    description = models.CharField(_("description"), max_length=300)
    budgeted = models.PositiveIntegerField(_("budgeted (kr)"))
    spent = models.PositiveIntegerField(_("spent (kr)"), null=True, blank=True)

    class Meta:
        ordering = ["report", "position"]
        verbose_name = _("cost line")
        verbose_name_plural = _("cost lines")

    def __str__(self) -> str:
        return f"{self.description}: {self.spent}"


class ReportReminder(models.Model):
    """A reminder email about a report, at most one of each kind: the unique constraint is what
    keeps two runs of the daily job (even at the same moment) from sending it twice."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=10, choices=ReminderKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["report", "kind"], name="one_reminder_per_kind")
        ]

    def __str__(self) -> str:
        return f"{self.report} {self.kind}"


def closing_letter_key(instance, filename: str) -> str:
    return f"letters/{uuid.uuid4().hex}/{uuid.uuid4().hex}.pdf"


class ClosingLetter(models.Model):
    """The letter that closes a grant. ``letter_data`` is frozen at closure; the PDF is made
    from it once by a background task and never changed."""

    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="closing_letter"
    )
    letter_data = models.JSONField()
    file = models.FileField(upload_to=closing_letter_key, max_length=200, blank=True)
    sha256 = models.CharField(max_length=64, blank=True)
    size = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    generated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("closing letter")
        verbose_name_plural = _("closing letters")

    def __str__(self) -> str:
        return f"{self.application} closing letter"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            stored = type(self).objects.filter(pk=self.pk).values_list("sha256", flat=True).first()
            if stored:
                raise ImmutableDecision("An issued closing letter is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableDecision("A closing letter is never deleted.")


class DeadlineReminder(models.Model):
    """A reminder email before an application's deadline: a returned application's completion
    deadline, or an approved grant's last day to accept. At most one per deadline: the unique
    constraint keeps two runs of the daily job (even at the same moment) from sending it twice,
    and a new deadline (a second request for completion, say) gets its own reminder.
    ``deadline`` is the moment the time runs out (for acceptance, the start of the day after
    ``accept_by`` in Stockholm)."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="deadline_reminders"
    )
    kind = models.CharField(max_length=10, choices=DeadlineKind.choices)
    deadline = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["application", "kind", "deadline"], name="one_reminder_per_deadline"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application} {self.kind} {self.deadline:%Y-%m-%d %H:%M}"
