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
from .decision import (
    CallCommitment,
    Decision,
    DecisionLetter,
    DecisionRelease,
    ImmutableDecision,
)
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
from .jobs import BackgroundJob
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
    "BackgroundJob",
    "AuditEntry",
    "BudgetLine",
    "CallCommitment",
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
