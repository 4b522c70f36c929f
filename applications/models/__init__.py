from .application import (
    Application,
    ApplicationTransition,
    ApplicationVersion,
    Attachment,
    BudgetLine,
    DeadlineException,
    EligibilityCheck,
    RegistrationCounter,
)
from .decision import Decision, DecisionLetter, DecisionRelease, ImmutableDecision
from .follow_up import (
    Acceptance,
    ClosingLetter,
    Payment,
    RepaymentClaim,
    Report,
    ReportCost,
    ReportReminder,
)
from .people import Invitation, Membership, Organisation, User

__all__ = [
    "Acceptance",
    "ClosingLetter",
    "Payment",
    "RepaymentClaim",
    "Report",
    "ReportCost",
    "ReportReminder",
    "Application",
    "ApplicationTransition",
    "ApplicationVersion",
    "Attachment",
    "BudgetLine",
    "DeadlineException",
    "Decision",
    "DecisionLetter",
    "DecisionRelease",
    "EligibilityCheck",
    "ImmutableDecision",
    "Invitation",
    "Membership",
    "Organisation",
    "RegistrationCounter",
    "User",
]
