from django.db import models
from django.utils.translation import gettext_lazy as _


class OrganisationKind(models.TextChoices):
    """Kinds of organisation a call may be open to.

    Lives here, not in applications, because a call says which kinds may apply and grants
    imports no other app.
    """

    MUNICIPALITY = "municipality", _("Municipality")
    REGION = "region", _("Region")
    STATE_AGENCY = "state_agency", _("State agency")
    OTHER_PUBLIC = "other_public", _("Other public body")

    @classmethod
    def public_sector(cls) -> list[str]:
        return [cls.MUNICIPALITY, cls.REGION, cls.STATE_AGENCY, cls.OTHER_PUBLIC]


class ScoreVisibility(models.TextChoices):
    """When a reviewer may see other reviewers' scores."""

    NEVER = "never", _("Never")
    AFTER_OWN = "after_own", _("After submitting their own review")
    ALWAYS = "always", _("Always")


class Aggregation(models.TextChoices):
    MEAN = "mean", _("Mean")
    MEDIAN = "median", _("Median")


class InstalmentTrigger(models.TextChoices):
    """What makes an instalment of a grant due for payment."""

    ACCEPTANCE = "acceptance", _("when the grant is accepted")
    INTERIM_REPORT = "interim_report", _("when an interim report is approved")
    FINAL_REPORT = "final_report", _("when the final report is approved")


class EligibilityItem(models.TextChoices):
    """The eligibility checklist a call has unless its programme manager changes it (the
    call's ``checklist_items``): what is checked before review starts."""

    ORGANISATION = "organisation", _("The organisation is of a kind that may apply")
    AMOUNT = "amount", _("The requested amount is within the call's maximum")
    BUDGET = "budget", _("The budget is reasonable and adds up")
    PERIOD = "period", _("The project period is within the call's limits")
    CONTENT = "content", _("The application is complete and within the call's aim")


class IneligibilityReason(models.TextChoices):
    """The reasons for rejecting an application as ineligible a call has unless its programme
    manager changes them (the call's ``ineligibility_reasons``)."""

    ORGANISATION = "organisation", _("The organisation may not apply to this call")
    AMOUNT = "amount", _("The requested amount is outside the call's limits")
    PERIOD = "period", _("The project period is outside the call's limits")
    AIM = "aim", _("The project is outside the call's aim")
    INCOMPLETE = "incomplete", _("The application was not completed in time")


class QuestionKind(models.TextChoices):
    """The kinds of question a call's application form may ask (``grants.FormQuestion``)."""

    SHORT_TEXT = "short_text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    NUMBER = "number", _("Number")
    AMOUNT = "amount", _("Amount in kronor")
    DATE = "date", _("Date")
    SINGLE_CHOICE = "single_choice", _("One choice from a list")
    MULTIPLE_CHOICE = "multiple_choice", _("Several choices from a list")
    YES_NO = "yes_no", _("Yes or no")
    ATTACHMENT = "attachment", _("Required attachment")

    @classmethod
    def with_choices(cls) -> tuple[str, ...]:
        return (cls.SINGLE_CHOICE, cls.MULTIPLE_CHOICE)

    @classmethod
    def with_length(cls) -> tuple[str, ...]:
        return (cls.SHORT_TEXT, cls.LONG_TEXT)

    @classmethod
    def with_range(cls) -> tuple[str, ...]:
        return (cls.NUMBER, cls.AMOUNT)


class SitePageSlug(models.TextChoices):
    """The agency's institutional pages, each linked from every page's footer.

    A fixed set: the footer names them, and the law asks for each (the accessibility statement
    by the Act on accessibility to digital public services, the privacy notice by the GDPR's
    articles 13 and 14), so programme managers edit their texts but never add or remove one.
    """

    ACCESSIBILITY = "accessibility", _("Accessibility statement")
    PRIVACY = "privacy", _("Privacy notice")
    COOKIES = "cookies", _("Cookies")
    CONTACT = "contact", _("Contact")
