from django.db import models
from django.utils.translation import gettext_lazy as _


class ConflictGround(models.TextChoices):
    """Grounds for a conflict of interest (jäv), after förvaltningslagen (2017:900) 16 §."""

    OWN_INTEREST = "own_interest", _("Own interest: the reviewer may be affected by the decision")
    CLOSE_RELATION = "close_relation", _("Close relation: someone close to the reviewer is a party")
    REPRESENTATIVE = "representative", _("Representative or employee of the applicant")
    OTHER = "other", _("Another circumstance that may undermine confidence in impartiality")


class ReviewStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class Recommendation(models.TextChoices):
    FUND = "fund", _("Fund")
    FUND_WITH_CHANGES = "fund_with_changes", _("Fund with changes")
    DO_NOT_FUND = "do_not_fund", _("Do not fund")


class AssignmentReason(models.TextChoices):
    """How an assignment was made or lifted, as its audit entries record it."""

    AUTOMATIC = "automatic", _("by the automatic assignment")
    MANUAL = "manual", _("by a programme manager")
    CONFLICT = "conflict", _("because of a conflict of interest")
    DECLINED = "declined", _("declined by the reviewer")
    LEFT_PANEL = "left_panel", _("because the reviewer left the panel")
