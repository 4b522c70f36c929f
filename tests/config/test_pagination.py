"""``IdsFirstPaginator`` gives the same pages as Django's ``Paginator``, in two short queries."""

import pytest
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator

from applications.models import Organisation
from config.pagination import IdsFirstPaginator
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def organisations():
    # Names repeat, so the order needs its tie-breaker: the pages must still match.
    for index in range(23):
        factories.OrganisationFactory(name=f"Kommun {index % 4}")
    return Organisation.objects.select_related(None).order_by("-name", "pk")


@pytest.mark.parametrize("per_page, orphans", [(5, 0), (5, 2), (10, 3), (23, 0), (50, 0)])
def test_every_page_equals_djangos(organisations, per_page, orphans):
    ours = IdsFirstPaginator(organisations, per_page, orphans=orphans)
    django = Paginator(organisations, per_page, orphans=orphans)
    assert ours.num_pages == django.num_pages
    for number in django.page_range:
        page = ours.page(number)
        expected = django.page(number)
        assert [row.pk for row in page] == [row.pk for row in expected]
        assert (page.start_index(), page.end_index()) == (
            expected.start_index(),
            expected.end_index(),
        )
        assert page.has_next() == expected.has_next()


def test_a_page_costs_its_ids_and_its_rows(organisations, django_assert_num_queries):
    paginator = IdsFirstPaginator(organisations, 5)
    assert paginator.count == 23  # the count is its own query, asked once
    with django_assert_num_queries(2):
        rows = list(paginator.page(3))
    assert len(rows) == 5


def test_a_page_out_of_range_or_not_a_number_is_refused(organisations):
    paginator = IdsFirstPaginator(organisations, 10)
    with pytest.raises(EmptyPage):
        paginator.page(4)
    with pytest.raises(PageNotAnInteger):
        paginator.page("x")
    assert [row.pk for row in paginator.get_page("x")] == [row.pk for row in paginator.page(1)]


def test_an_empty_list_has_one_empty_page():
    paginator = IdsFirstPaginator(Organisation.objects.order_by("pk"), 10)
    assert list(paginator.page(1)) == []
