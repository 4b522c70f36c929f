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
from .people import Invitation, Membership, Organisation, User

__all__ = [
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
