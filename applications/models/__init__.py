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
from .audit import AuditChainHead, AuditEntry, ImmutableAuditEntry
from .decision import Decision, DecisionLetter, DecisionRelease, ImmutableDecision
from .follow_up import (
    Acceptance,
    ClosingLetter,
    DeadlineReminder,
    Payment,
    RepaymentClaim,
    Report,
    ReportCost,
    ReportReminder,
)
from .identities import ExternalIdentity
from .people import Invitation, Membership, Organisation, OrganisationClaim, User

__all__ = [
    "Acceptance",
    "ClosingLetter",
    "DeadlineReminder",
    "Payment",
    "RepaymentClaim",
    "Report",
    "ReportCost",
    "ReportReminder",
    "Application",
    "ApplicationTransition",
    "ApplicationVersion",
    "Attachment",
    "AuditChainHead",
    "AuditEntry",
    "BudgetLine",
    "DeadlineException",
    "Decision",
    "DecisionLetter",
    "DecisionRelease",
    "EligibilityCheck",
    "ExternalIdentity",
    "ImmutableAuditEntry",
    "ImmutableDecision",
    "Invitation",
    "Membership",
    "Organisation",
    "OrganisationClaim",
    "RegistrationCounter",
    "User",
]
