from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.db.models import Q
from django.utils import formats, timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from ..enums import (
    Aggregation,
    EligibilityItem,
    IneligibilityReason,
    InstalmentTrigger,
    OrganisationKind,
    ScoreVisibility,
)


def default_payment_plan() -> list[dict]:
    """80 % when the grant is accepted, 20 % once the final report is approved."""
    return [
        {"share": 80, "after": InstalmentTrigger.ACCEPTANCE.value},
        {"share": 20, "after": InstalmentTrigger.FINAL_REPORT.value},
    ]


def default_report_measures() -> list[dict]:
    """Measures the final report asks for beyond participants and days at the hub."""
    return [
        {
            "key": "satisfaction",
            "label_sv": "Deltagarnas nöjdhet (1–5)",
            "label_en": "Participants' satisfaction (1–5)",
        },
    ]


def _localised(obj, field: str) -> str:
    """The Swedish or English text of a field pair, falling back to Swedish."""
    if (get_language() or "sv").startswith("en"):
        return getattr(obj, f"{field}_en") or getattr(obj, f"{field}_sv")
    return getattr(obj, f"{field}_sv")


class Hub(models.Model):
    """A shared coworking hub where a trial can take place."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    city = models.CharField(_("city"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("hub")
        verbose_name_plural = _("hubs")

    def __str__(self) -> str:
        return f"{self.name} ({self.city})"


class CallQuerySet(models.QuerySet):
    def published(self):
        return self.filter(is_published=True)

    def open_at(self, moment):
        return self.published().filter(opens_at__lte=moment, closes_at__gt=moment)


class Call(models.Model):
    """A grant call: what is offered, to whom, until when, and how it is assessed.

    Everything that differs between one call and the next is a field here, so the next call is
    configuration, not code.
    """

    slug = models.SlugField(_("short name in addresses"), max_length=80, unique=True)
    title_sv = models.CharField(_("title (Swedish)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    summary_sv = models.TextField(_("summary (Swedish)"))
    summary_en = models.TextField(_("summary (English)"), blank=True)
    description_sv = models.TextField(_("call text (Swedish)"))
    description_en = models.TextField(_("call text (English)"), blank=True)
    is_published = models.BooleanField(_("published"), default=False)

    opens_at = models.DateTimeField(_("opens at"))
    # Stored in UTC like every datetime; shown and entered in Europe/Stockholm. A submission
    # at or after this instant is late.
    closes_at = models.DateTimeField(_("closes at"))

    budget = models.PositiveBigIntegerField(_("budget (kr)"))
    max_amount = models.PositiveIntegerField(_("maximum per application (kr)"))
    eligible_kinds = models.JSONField(
        _("organisation kinds that may apply"),
        default=OrganisationKind.public_sector,
        help_text=_("A list of organisation kinds."),
    )
    hubs = models.ManyToManyField(Hub, verbose_name=_("hubs"), blank=True)
    project_start_earliest = models.DateField(_("earliest project start"), null=True, blank=True)
    project_end_latest = models.DateField(_("latest project end"), null=True, blank=True)

    # Review settings (used from issue 3 on).
    reviewers_per_application = models.PositiveSmallIntegerField(
        _("reviewers per application"), default=3
    )
    min_reviews = models.PositiveSmallIntegerField(
        _("minimum number of reviews to complete review"), default=2
    )
    score_visibility = models.CharField(
        _("reviewers see others' scores"),
        max_length=20,
        choices=ScoreVisibility.choices,
        default=ScoreVisibility.AFTER_OWN,
    )
    aggregation = models.CharField(
        _("aggregation of reviewers' scores"),
        max_length=10,
        choices=Aggregation.choices,
        default=Aggregation.MEAN,
    )
    total_threshold = models.DecimalField(
        _("threshold for the total score"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Applications whose aggregated weighted score is below this cannot be funded."),
    )
    disagreement_spread = models.DecimalField(
        _("spread that flags disagreement"),
        max_digits=4,
        decimal_places=2,
        default=2,
        help_text=_(
            "Reviewers disagree strongly when their weighted scores differ by at least this much."
        ),
    )
    review_due_at = models.DateTimeField(_("reviews due"), null=True, blank=True)

    # Decision and follow-up settings (used from issues 4 and 5 on).
    decision_appealable = models.BooleanField(_("decisions can be appealed"), default=False)
    hold_decisions_for_release = models.BooleanField(
        _("hold decisions until released"),
        default=False,
        help_text=_(
            "Letters and decision emails wait in the outbox until a programme manager releases "
            "them, so the whole call's decisions go out together on the decision date."
        ),
    )
    acceptance_days = models.PositiveSmallIntegerField(_("days to accept a grant"), default=30)
    interim_reports = models.PositiveSmallIntegerField(_("number of interim reports"), default=0)
    final_report_days = models.PositiveSmallIntegerField(
        _("days after the project ends that the final report is due"), default=60
    )
    payment_plan = models.JSONField(
        _("payment plan"),
        default=default_payment_plan,
        help_text=_(
            'Instalments in order, as a list of {"share": per cent, "after": "acceptance", '
            '"interim_report" or "final_report"}. The shares add up to 100.'
        ),
    )
    report_measures = models.JSONField(
        _("measures asked for in reports"),
        default=default_report_measures,
        blank=True,
        help_text=_(
            'Besides participants and days at the hub: a list of {"key", "label_sv", "label_en"}.'
        ),
    )
    reminder_days_before = models.PositiveSmallIntegerField(
        _("days before a report is due that a reminder is sent"), default=14
    )
    review_reminder_days_before = models.PositiveSmallIntegerField(
        _("days before reviews are due that reviewers are reminded"),
        default=3,
        help_text=_("Reviewers are reminded once then, and once more when a review is overdue."),
    )
    personal_data_retention_years = models.PositiveSmallIntegerField(
        _("years after closure that personal data is kept"),
        default=10,
        help_text=_(
            "After this many years the personal data of people tied only to closed cases of "
            "this call is anonymised by the retention job."
        ),
    )
    letter_wording_sv = models.TextField(_("letter wording (Swedish)"), blank=True)
    letter_wording_en = models.TextField(_("letter wording (English)"), blank=True)
    # Empty: the letters say what they said before these fields existed (the agency's standard
    # appeal paragraph, no legal basis), so letters of existing calls stay the same.
    appeal_text_sv = models.TextField(
        _("how to appeal (Swedish)"),
        blank=True,
        help_text=_("Leave empty for the standard text about appealing within three weeks."),
    )
    appeal_text_en = models.TextField(_("how to appeal (English)"), blank=True)
    legal_basis_sv = models.TextField(
        _("legal basis (Swedish)"),
        blank=True,
        help_text=_(
            "The ordinance or regulation the grants are decided under, as the letters name it."
        ),
    )
    legal_basis_en = models.TextField(_("legal basis (English)"), blank=True)

    # Four eyes: whoever created or last changed a call never publishes it.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last changed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CallQuerySet.as_manager()

    class Meta:
        ordering = ["-closes_at"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=models.F("opens_at")), name="call_closes_after_opening"
            ),
            models.CheckConstraint(
                condition=Q(max_amount__lte=models.F("budget")), name="call_max_within_budget"
            ),
            models.CheckConstraint(condition=Q(max_amount__gt=0), name="call_max_amount_positive"),
            # Review can only complete when the minimum can be reached by the reviewers given.
            models.CheckConstraint(
                condition=Q(min_reviews__lte=models.F("reviewers_per_application")),
                name="call_min_reviews_reachable",
            ),
        ]

    def __str__(self) -> str:
        return self.title_sv

    @property
    def title(self) -> str:
        return _localised(self, "title")

    @property
    def summary(self) -> str:
        return _localised(self, "summary")

    @property
    def description(self) -> str:
        return _localised(self, "description")

    def is_open(self, at=None) -> bool:
        at = at or timezone.now()
        return self.is_published and self.opens_at <= at < self.closes_at

    def has_closed(self, at=None) -> bool:
        return (at or timezone.now()) >= self.closes_at

    def instalment_plan(self) -> list[tuple[int, str]]:
        """The payment plan as ``(share, trigger)`` pairs, in order."""
        return [(int(step["share"]), step["after"]) for step in self.payment_plan]

    def measure_label(self, measure: dict) -> str:
        if (get_language() or "sv").startswith("en"):
            return measure.get("label_en") or measure.get("label_sv") or measure["key"]
        return measure.get("label_sv") or measure["key"]

    def _clean_payment_plan(self) -> None:
        plan = self.payment_plan
        message = None
        if not isinstance(plan, list) or not plan:
            message = _("The payment plan needs at least one instalment.")
        elif not all(
            isinstance(step, dict)
            and isinstance(step.get("share"), int)
            and not isinstance(step.get("share"), bool)
            and step["share"] > 0
            and step.get("after") in InstalmentTrigger.values
            for step in plan
        ):
            message = _(
                "Each instalment needs a whole, positive share in per cent and one of "
                "acceptance, interim_report or final_report."
            )
        elif sum(step["share"] for step in plan) != 100:
            message = _("The instalments' shares must add up to exactly 100 per cent.")
        elif sum(step["after"] == InstalmentTrigger.INTERIM_REPORT for step in plan) > (
            self.interim_reports or 0
        ):
            message = _("There are more instalments after interim reports than interim reports.")
        if message:
            raise ValidationError({"payment_plan": message})

    def _clean_report_measures(self) -> None:
        measures = self.report_measures or []
        keys = [m.get("key") for m in measures if isinstance(m, dict)]
        if (
            not isinstance(measures, list)
            or len(keys) != len(measures)
            or not all(isinstance(k, str) and k.isidentifier() for k in keys)
            or len(set(keys)) != len(keys)
        ):
            raise ValidationError(
                {
                    "report_measures": _(
                        "Each measure needs a unique key of letters, digits and underscores, "
                        "and its labels."
                    )
                }
            )

    def checklist(self, *, with_inactive: bool = False) -> list["EligibilityCheckItem"]:
        """The call's eligibility checklist in order (only what is asked now, unless
        ``with_inactive``); today's default checklist, unsaved, for a call that never had its
        own (one made in the admin or a test)."""
        rows = list(self.checklist_items.all())
        if not rows:
            return _defaults(EligibilityCheckItem, self, EligibilityItem)
        return [row for row in rows if with_inactive or row.is_active]

    def reasons_for_ineligibility(
        self, *, with_inactive: bool = False
    ) -> list["IneligibilityReasonItem"]:
        """The call's reasons for rejecting an application as ineligible, as ``checklist``."""
        rows = list(self.ineligibility_reasons.all())
        if not rows:
            return _defaults(IneligibilityReasonItem, self, IneligibilityReason)
        return [row for row in rows if with_inactive or row.is_active]

    def reason_label(self, key: str, language: str | None = None) -> str:
        """An ineligibility reason's label (one no longer offered too) in the reader's
        language or ``language``; an unknown key reads as itself."""
        for row in self.reasons_for_ineligibility(with_inactive=True):
            if row.key == key:
                if language is None:
                    return row.label
                return (row.label_en or row.label_sv) if language == "en" else row.label_sv
        return key

    def eligible_kind_labels(self) -> list[str]:
        return [str(OrganisationKind(kind).label) for kind in self.eligible_kinds]

    def clean(self):
        unknown = set(self.eligible_kinds or []) - set(OrganisationKind.values)
        if unknown:
            raise ValidationError(
                {"eligible_kinds": _("Unknown organisation kinds: %s") % ", ".join(sorted(unknown))}
            )
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            raise ValidationError({"closes_at": _("The call must close after it opens.")})
        if (
            self.min_reviews is not None
            and self.reviewers_per_application is not None
            and self.min_reviews > self.reviewers_per_application
        ):
            raise ValidationError(
                {
                    "min_reviews": _(
                        "The minimum number of reviews cannot exceed the reviewers per application."
                    )
                }
            )
        self._clean_payment_plan()
        self._clean_report_measures()
        if self.budget is not None and self.max_amount and self.max_amount > self.budget:
            raise ValidationError(
                {"max_amount": _("The maximum per application cannot exceed the budget.")}
            )


class CallChange(models.Model):
    """A change to a published call that touches applicants, with its reason: the call's public
    change history. ``changes`` holds ``{"field", "before", "after"}`` as the page shows them."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(_("changed at"))
    reason = models.TextField(_("reason"))
    changes = models.JSONField(_("changes"), default=list)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("change to a call")
        verbose_name_plural = _("changes to calls")

    def __str__(self) -> str:
        return f"{self.call} {self.at:%Y-%m-%d}"

    @property
    def rows(self) -> list[dict]:
        """Each change as ``{"label", "before", "after"}`` in the reader's language."""
        return [
            {
                "label": form_change_label(item)
                if item["field"] == "form"
                else Call._meta.get_field(item["field"]).verbose_name,
                "before": shown_value(item["field"], item["before"]),
                "after": shown_value(item["field"], item["after"]),
            }
            for item in self.changes
        ]


def form_change_label(item: dict) -> str:
    """What a change to the application form changed, for the call's change history:
    ``Question “budget_plan”: question (English)``, or the part alone when added or removed."""
    part, key, attribute = item.get("part"), item.get("key", ""), item.get("attribute")
    model_names = {
        "section": "FormSection",
        "question": "FormQuestion",
        "category": "BudgetCategory",
    }
    names = {
        "section": _("Application form, section"),
        "question": _("Application form, question"),
        "category": _("Budget category"),
    }
    label = f"{names.get(part, part)} “{key}”"
    if attribute and part in model_names:
        model = apps.get_model("grants", model_names[part])
        try:
            label += f": {model._meta.get_field(attribute.removesuffix('_id')).verbose_name}"
        except FieldDoesNotExist:
            label += f": {attribute}"
    return label


def shown_value(field: str, value) -> str:
    """A stored value of a call field as its page shows it (kronor, local time, kind labels)."""
    if value is None or value == "":
        return "–"
    if field in ("budget", "max_amount"):
        return f"{int(value):,}".replace(",", "\u00a0") + "\u00a0kr"
    if field in ("opens_at", "closes_at"):
        moment = parse_datetime(str(value))
        return formats.date_format(timezone.localtime(moment), "j F Y H:i") if moment else value
    if field == "eligible_kinds":
        return ", ".join(
            str(OrganisationKind(kind).label) if kind in OrganisationKind.values else kind
            for kind in value
        )
    return str(value)


class CallListItem(models.Model):
    """One entry of a list the call defines for its programme managers: a key that is stored
    where the entry is used (an eligibility check, a decision), its label in both languages and
    its place in the list.

    An entry in use is never deleted: taking it off the list makes it inactive, so what was
    recorded with it still reads with its label. The key never changes.
    """

    key = models.SlugField(_("key"), max_length=20)
    label_sv = models.CharField(_("label (Swedish)"), max_length=300)
    label_en = models.CharField(_("label (English)"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("on the list"), default=True)

    class Meta:
        abstract = True
        ordering = ["call", "position", "pk"]

    def __str__(self) -> str:
        return f"{self.key}: {self.label_sv}"

    @property
    def label(self) -> str:
        return _localised(self, "label")


class EligibilityCheckItem(CallListItem):
    """An item of a call's eligibility checklist; review starts when every active one is
    ticked. ``EligibilityCheck.items`` stores the keys."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="checklist_items")

    class Meta(CallListItem.Meta):
        verbose_name = _("eligibility checklist item")
        verbose_name_plural = _("eligibility checklist items")
        constraints = [
            models.UniqueConstraint(fields=["call", "key"], name="checklist_item_key_per_call")
        ]


class IneligibilityReasonItem(CallListItem):
    """A reason a call offers for rejecting an application as ineligible; ``Decision.reason_code``
    stores the key."""

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="ineligibility_reasons")

    class Meta(CallListItem.Meta):
        verbose_name = _("reason for ineligibility")
        verbose_name_plural = _("reasons for ineligibility")
        constraints = [
            models.UniqueConstraint(
                fields=["call", "key"], name="ineligibility_reason_key_per_call"
            )
        ]


def default_list_labels(choices) -> list[tuple[str, str, str]]:
    """Today's entries of a default list as ``(key, Swedish label, English label)``."""
    entries = []
    for value, label in choices.choices:
        with translation.override("sv"):
            label_sv = str(label)
        with translation.override("en"):
            label_en = str(label)
        entries.append((value, label_sv, label_en))
    return entries


def _defaults(model, call: Call, choices) -> list:
    return [
        model(call=call, key=key, label_sv=label_sv, label_en=label_en, position=position)
        for position, (key, label_sv, label_en) in enumerate(default_list_labels(choices))
    ]


class Criterion(models.Model):
    """What reviewers score an application of a call on.

    A score is a whole number on the criterion's scale; ``weight`` says how much it counts in
    the weighted score. Below ``threshold`` (the mean of the reviewers' scores) an
    application cannot be funded.
    """

    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="criteria")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    name_sv = models.CharField(_("name (Swedish)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    guidance_sv = models.TextField(_("guidance (Swedish)"), blank=True)
    guidance_en = models.TextField(_("guidance (English)"), blank=True)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2, default=1)
    scale_min = models.PositiveSmallIntegerField(_("lowest score"), default=1)
    scale_max = models.PositiveSmallIntegerField(_("highest score"), default=7)
    threshold = models.DecimalField(
        _("threshold"),
        max_digits=4,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Applications whose mean score here is below this cannot be funded."),
    )

    class Meta:
        ordering = ["call", "position", "pk"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [
            models.CheckConstraint(condition=Q(weight__gt=0), name="criterion_weight_positive"),
            models.CheckConstraint(
                condition=Q(scale_max__gt=models.F("scale_min")), name="criterion_scale_ordered"
            ),
            models.CheckConstraint(
                condition=Q(threshold__isnull=True)
                | (
                    Q(threshold__gte=models.F("scale_min"))
                    & Q(threshold__lte=models.F("scale_max"))
                ),
                name="criterion_threshold_on_scale",
            ),
        ]

    def __str__(self) -> str:
        return self.name_sv

    @property
    def name(self) -> str:
        return _localised(self, "name")

    @property
    def guidance(self) -> str:
        return _localised(self, "guidance")

    @property
    def scale(self) -> range:
        return range(self.scale_min, self.scale_max + 1)
