from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .enums import OrganisationKind
from .models import (
    BudgetCategory,
    Call,
    Criterion,
    EligibilityCheckItem,
    FormQuestion,
    Hub,
    IneligibilityReasonItem,
)


class CallAdminForm(forms.ModelForm):
    # The kinds are stored as a JSON list; checkboxes are kinder than hand-written JSON.
    eligible_kinds = forms.MultipleChoiceField(
        label=_("organisation kinds that may apply"),
        choices=OrganisationKind.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Call
        fields = [
            "slug",
            "is_published",
            "title_sv",
            "title_en",
            "summary_sv",
            "summary_en",
            "description_sv",
            "description_en",
            "opens_at",
            "closes_at",
            "budget",
            "max_amount",
            "eligible_kinds",
            "hubs",
            "project_start_earliest",
            "project_end_latest",
            "reviewers_per_application",
            "min_reviews",
            "score_visibility",
            "aggregation",
            "total_threshold",
            "disagreement_spread",
            "review_due_at",
            "decision_appealable",
            "acceptance_days",
            "interim_reports",
            "final_report_days",
            "payment_plan",
            "report_measures",
            "reminder_days_before",
            "personal_data_retention_years",
            "letter_wording_sv",
            "letter_wording_en",
        ]


@admin.register(Hub)
class HubAdmin(admin.ModelAdmin):
    list_display = ["name", "city"]
    search_fields = ["name", "city"]


class CriterionInline(admin.StackedInline):
    """The criteria reviewers score the call's applications on, edited with the call."""

    model = Criterion
    extra = 0
    fields = [
        ("position", "weight"),
        ("name_sv", "name_en"),
        ("guidance_sv", "guidance_en"),
        ("scale_min", "scale_max", "threshold"),
    ]


class _ReadOnlyInline(admin.TabularInline):
    """Shown, not edited, here: the call editor keeps the rules of the application form
    (frozen once applications exist, reasons on a published call) and of the checklist and
    reasons (an entry in use is taken off the list, never deleted), and audits each change,
    which an admin save would skip."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CallListInline(_ReadOnlyInline):
    fields = readonly_fields = ["position", "key", "label_sv", "label_en", "is_active"]


class EligibilityCheckItemInline(CallListInline):
    model = EligibilityCheckItem


class IneligibilityReasonItemInline(CallListInline):
    model = IneligibilityReasonItem


class FormQuestionInline(_ReadOnlyInline):
    model = FormQuestion
    fields = readonly_fields = ["section", "position", "key", "kind", "label_sv", "required"]


class BudgetCategoryInline(_ReadOnlyInline):
    model = BudgetCategory
    fields = readonly_fields = ["position", "key", "label_sv", "label_en"]


@admin.register(Call)
class CallAdmin(admin.ModelAdmin):
    form = CallAdminForm
    inlines = [
        CriterionInline,
        FormQuestionInline,
        BudgetCategoryInline,
        EligibilityCheckItemInline,
        IneligibilityReasonItemInline,
    ]

    def get_inlines(self, request, obj):
        # A new call has no form or lists to show yet (it reads today's lists as defaults
        # until the editor saves).
        return self.inlines if obj is not None else [CriterionInline]

    list_display = [
        "title_sv",
        "slug",
        "is_published",
        "opens_at",
        "closes_at",
        "budget",
        "max_amount",
    ]
    list_filter = ["is_published"]
    search_fields = ["title_sv", "title_en", "slug"]
    date_hierarchy = "closes_at"
    prepopulated_fields = {"slug": ["title_sv"]}
    filter_horizontal = ["hubs"]
    # Publishing is the call editor's four-eyes step (applications/services/calls.py), so the
    # admin shows who published but cannot publish.
    readonly_fields = [
        "is_published",
        "published_at",
        "published_by",
        "created_by",
        "changed_by",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["slug", "is_published", "published_at", "published_by"]}),
        (
            _("Texts"),
            {
                "fields": [
                    "title_sv",
                    "title_en",
                    "summary_sv",
                    "summary_en",
                    "description_sv",
                    "description_en",
                ]
            },
        ),
        (_("Dates (Swedish time)"), {"fields": ["opens_at", "closes_at"]}),
        (
            _("Money and who may apply"),
            {"fields": ["budget", "max_amount", "eligible_kinds", "hubs"]},
        ),
        (_("Project period"), {"fields": ["project_start_earliest", "project_end_latest"]}),
        (
            _("Review"),
            {
                "fields": [
                    "reviewers_per_application",
                    "min_reviews",
                    "score_visibility",
                    "aggregation",
                    "total_threshold",
                    "disagreement_spread",
                    "review_due_at",
                ]
            },
        ),
        (
            _("Decisions and follow-up"),
            {
                "fields": [
                    "decision_appealable",
                    "acceptance_days",
                    "interim_reports",
                    "final_report_days",
                    "letter_wording_sv",
                    "letter_wording_en",
                ]
            },
        ),
        (
            _("Record"),
            {
                "fields": ["created_by", "changed_by", "created_at", "updated_at"],
                "classes": ["collapse"],
            },
        ),
    ]
