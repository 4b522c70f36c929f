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
from .people import Invitation, Membership, Organisation, User

__all__ = [
    "Application",
    "ApplicationTransition",
    "ApplicationVersion",
    "Attachment",
    "BudgetLine",
    "DeadlineException",
    "EligibilityCheck",
    "Invitation",
    "Membership",
    "Organisation",
    "RegistrationCounter",
    "User",
]
