from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# The defaults of a call's eligibility checklist and ineligibility reasons live with the call;
# imported here too, where they were before calls had their own.
from grants.enums import EligibilityItem, IneligibilityReason  # noqa: F401


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for completion")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    IN_REVIEW = "in_review", _("In review")
    REVIEWED = "reviewed", _("Reviewed")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    FOLLOW_UP = "follow_up", _("Follow-up")
    CLOSED = "closed", _("Closed")


class BudgetCategory(models.TextChoices):
    HUB = "hub", _("Hub membership and rent")
    STAFF = "staff", _("Staff time")
    TRAVEL = "travel", _("Travel")
    EQUIPMENT = "equipment", _("Equipment and IT")
    EVALUATION = "evaluation", _("Evaluation and learning")
    OTHER = "other", _("Other costs")


class County(models.TextChoices):
    """Sweden's 21 counties (län), for filtering applications by region."""

    STOCKHOLM = "AB", _("Stockholm County")
    UPPSALA = "C", _("Uppsala County")
    SODERMANLAND = "D", _("Södermanland County")
    OSTERGOTLAND = "E", _("Östergötland County")
    JONKOPING = "F", _("Jönköping County")
    KRONOBERG = "G", _("Kronoberg County")
    KALMAR = "H", _("Kalmar County")
    GOTLAND = "I", _("Gotland County")
    BLEKINGE = "K", _("Blekinge County")
    SKANE = "M", _("Skåne County")
    HALLAND = "N", _("Halland County")
    VASTRA_GOTALAND = "O", _("Västra Götaland County")
    VARMLAND = "S", _("Värmland County")
    OREBRO = "T", _("Örebro County")
    VASTMANLAND = "U", _("Västmanland County")
    DALARNA = "W", _("Dalarna County")
    GAVLEBORG = "X", _("Gävleborg County")
    VASTERNORRLAND = "Y", _("Västernorrland County")
    JAMTLAND = "Z", _("Jämtland County")
    VASTERBOTTEN = "AC", _("Västerbotten County")
    NORRBOTTEN = "BD", _("Norrbotten County")


class Language(models.TextChoices):
    SWEDISH = "sv", "Svenska"
    ENGLISH = "en", "English"


class DecisionOutcome(models.TextChoices):
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    REJECTED_INELIGIBLE = "rejected_ineligible", _("Rejected as ineligible")


class DecisionStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposed")
    SENT_BACK = "sent_back", _("Sent back")
    CONFIRMED = "confirmed", _("Confirmed")


class PaymentStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DUE = "due", _("Due for payment")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Not paid (settled)")


class ReportKind(models.TextChoices):
    INTERIM = "interim", _("Interim report")
    FINAL = "final", _("Final report")


class ReportStatus(models.TextChoices):
    DRAFT = "draft", _("Not submitted")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned for completion")
    # Not the "Approved" of an application (beviljad): a report is godkänd.
    APPROVED = "approved", pgettext_lazy("report status", "Approved")


class ReminderKind(models.TextChoices):
    BEFORE_DUE = "before_due", _("Before the due date")
    OVERDUE = "overdue", _("Overdue")


class ScanStatus(models.TextChoices):
    """Where an attachment stands with the malware scanner; only a clean one is handed out."""

    PENDING = "pending", _("Being checked for malware")
    CLEAN = "clean", _("Checked")
    REFUSED = "refused", _("Refused: malware found")


class VerificationStatus(models.TextChoices):
    """Whether the agency has checked an organisation against what it knows."""

    PENDING = "pending", _("Waiting for the agency's check")
    VERIFIED = "verified", _("Verified by the agency")
    REFUSED = "refused", _("Refused by the agency")


class ClaimStatus(models.TextChoices):
    """A claim that a registered organisation number belongs to someone else."""

    OPEN = "open", _("Open")
    TRANSFERRED = "transferred", _("Administrator role transferred")
    DISMISSED = "dismissed", _("Dismissed")


class DeadlineKind(models.TextChoices):
    """The deadlines an applicant is reminded of before they pass (``DeadlineReminder``)."""

    COMPLETION = "completion", _("Completion deadline")
    ACCEPTANCE = "acceptance", _("Last day to accept")


class JobKind(models.TextChoices):
    """Long work run by the task worker while a page shows its progress (``BackgroundJob``)."""

    BATCH_CONFIRMATION = "batch_confirmation", _("Confirmation of selected decisions")
    LETTER_RUN = "letter_run", _("Letter run")
    EXPORT = "export", _("Export")
    DAILY = "daily", _("Daily job")


class JobState(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
