"""``site_page_update``: the programme manager's, one audit entry per change, nothing otherwise."""

import pytest
from django.core.exceptions import PermissionDenied

from applications.models import AuditEntry
from applications.services.site_pages import site_page_update
from grants.models import SitePage
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_programme_manager_changes_a_title_and_it_is_logged():
    page = SitePage.objects.get(slug="cookies")
    manager = factories.programme_manager()

    changed = site_page_update(page=page, by=manager, values={"title_en": "About cookies"})

    assert changed == ["title_en"]
    page.refresh_from_db()
    assert (page.title_en, page.updated_by) == ("About cookies", manager)
    entry = AuditEntry.objects.get(action="site_page.change")
    assert entry.data == {"page": "cookies", "texts_changed": ["title_en"]}


@pytest.mark.parametrize(
    "make",
    [factories.decision_maker, factories.UserFactory, lambda: None],
    ids=["decision_maker", "applicant", "system"],
)
def test_anyone_else_is_refused_and_nothing_changes(make):
    page = SitePage.objects.get(slug="cookies")
    by = make()

    with pytest.raises(PermissionDenied):
        site_page_update(page=page, by=by, values={"title_en": "About cookies"})

    page.refresh_from_db()
    assert page.title_en == "Cookies"
    assert not AuditEntry.objects.filter(action="site_page.change").exists()
