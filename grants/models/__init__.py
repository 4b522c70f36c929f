"""The models of grants: the call (``call``) with its checklist and reasons, its application form
(``application_form``), and the agency's pages about the service (``site_page``)."""

from .application_form import BudgetCategory, FormQuestion, FormSection
from .call import (
    Call,
    CallChange,
    CallListItem,
    Criterion,
    EligibilityCheckItem,
    Hub,
    IneligibilityReasonItem,
    default_list_labels,
    default_payment_plan,
    default_report_measures,
    form_change_label,
    shown_value,
)
from .site_page import SitePage

__all__ = [
    "BudgetCategory",
    "Call",
    "CallChange",
    "CallListItem",
    "Criterion",
    "EligibilityCheckItem",
    "FormQuestion",
    "FormSection",
    "Hub",
    "IneligibilityReasonItem",
    "SitePage",
    "default_list_labels",
    "default_payment_plan",
    "default_report_measures",
    "form_change_label",
    "shown_value",
]
