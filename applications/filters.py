"""Filters for the agency's list of applications (django-filter)."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from config.forms import FilterForm
from grants.enums import OrganisationKind
from grants.models import Call

from .enums import ApplicationState, County

# Query parameter → what it sorts on, each served by an index (``Application.Meta.indexes``).
# Title and amount are the latest submitted version's (kept on the application by the submit
# service), not the working copy's.
ORDERING_FIELDS = {
    "registration_number": "registration_number",
    "organisation": "organisation__name",
    "title": "submitted_title",
    "amount": "submitted_amount",
    "state": "state",
    "submitted": "last_submitted_at",
}
DEFAULT_ORDERING = "-submitted"


class ApplicationOrderingFilter(django_filters.OrderingFilter):
    """Sorts by the chosen column, newest submission first by default, with ``pk`` as the
    tie-breaker so that pages never repeat or skip a row. The tie-breaker runs the same way as
    the column, so one index on (column, id) serves the order both ways."""

    def filter(self, qs, value):
        params = [param for param in (value or []) if param] or [DEFAULT_ORDERING]
        ordering = [self.get_ordering_value(param) for param in params]
        return qs.order_by(*ordering, "-pk" if params[0].startswith("-") else "pk")


class ApplicationFilter(django_filters.FilterSet):
    class Meta:
        form = FilterForm  # every filter may be empty, and its label does not say so

    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_text",
        help_text=_("Title, registration number, organisation name or number."),
    )
    call = django_filters.ModelChoiceFilter(
        label=_("Call"), queryset=Call.objects.order_by("-closes_at"), empty_label=_("All calls")
    )
    state = django_filters.ChoiceFilter(
        label=_("State"),
        # The agency's list holds submitted applications only, so "draft" is never a match.
        choices=[c for c in ApplicationState.choices if c[0] != ApplicationState.DRAFT],
        empty_label=_("All states"),
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind of organisation"),
        field_name="organisation__verified_kind",
        choices=OrganisationKind.choices,
        empty_label=_("All kinds"),
    )
    county = django_filters.ChoiceFilter(
        label=_("County"),
        field_name="organisation__county",
        choices=County.choices,
        empty_label=_("All counties"),
    )
    o = ApplicationOrderingFilter(
        label=_("Sort by"), fields=[(v, k) for k, v in ORDERING_FIELDS.items()]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The call's title in the reader's language, not ``str(call)`` (always Swedish).
        self.form.fields["call"].label_from_instance = lambda call: call.title

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # SQLite folds case for ASCII only, so "östersund" would miss "Östersund"; trying the
        # common casings too costs nothing on PostgreSQL, where icontains already folds å, ä, ö.
        match = Q()
        for variant in {value, value.lower(), value.upper(), value.capitalize(), value.title()}:
            match |= (
                Q(submitted_title__icontains=variant)
                | Q(registration_number__icontains=variant)
                | Q(organisation__name__icontains=variant)
                | Q(organisation__orgnr__icontains=variant)
            )
        return queryset.filter(match)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if "o" not in self.form.cleaned_data:
            # An invalid ``o`` is dropped from cleaned_data; the list still gets an order.
            queryset = self.filters["o"].filter(queryset, None)
        return queryset


class RegisterFilter(django_filters.FilterSet):
    """The public register's filter: one call, chosen by its short name (``?call=<slug>``), so
    the address of a call's funded projects reads well and stays the same."""

    class Meta:
        form = FilterForm

    call = django_filters.ModelChoiceFilter(
        label=_("Call"),
        field_name="application__call",
        to_field_name="slug",
        queryset=Call.objects.published().order_by("-closes_at", "pk"),
        empty_label=_("All calls"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["call"].label_from_instance = lambda call: call.title
