"""The models of grants: the call (``call``) and its application form (``application_form``)."""

from .application_form import BudgetCategory, FormQuestion, FormSection
from .call import (
    Call,
    CallChange,
    Criterion,
    Hub,
    SitePage,
    default_payment_plan,
    default_report_measures,
    form_change_label,
    shown_value,
)

__all__ = [
    "BudgetCategory",
    "Call",
    "CallChange",
    "Criterion",
    "FormQuestion",
    "FormSection",
    "Hub",
    "SitePage",
    "default_payment_plan",
    "default_report_measures",
    "form_change_label",
    "shown_value",
]
