"""A reviewer with the review open in two tabs: a draft saved from the older tab is refused with
nothing written, and the page shows the stored draft with the refused texts beside it."""

import pytest

from applications.services.edit_conflicts import StaleEdit
from reviews.models import Review
from reviews.services.reviewing import review_save
from tests import factories
from tests.reviews.views.test_reviewer import assign, full_review, in_review, review_url

pytestmark = pytest.mark.django_db

STALE = (
    "This was saved from another tab or by a colleague after you opened the page. "
    "Nothing from this page has been saved."
)


@pytest.fixture
def scene():
    call = factories.CallFactory(reviewers_per_application=1, min_reviews=1)
    criteria = [
        factories.CriterionFactory(call=call, name_sv="Relevans", name_en="Relevance"),
        factories.CriterionFactory(call=call, name_sv="Genomförbarhet", name_en="Feasibility"),
    ]
    manager = factories.programme_manager()
    application = in_review(call, manager)[0]
    member = factories.PanelMemberFactory(call=call, user__language="en")
    assignment = assign(member, application, manager)
    return application, criteria, member, assignment


def test_a_draft_saved_from_an_older_tab_is_refused_and_both_texts_shown(client, scene):
    application, criteria, member, _assignment = scene
    client.force_login(member.user)
    url = review_url(application)
    assert client.get(url).context["form"]["edit_version"].value() == 0

    tab_1 = client.post(url, full_review(criteria, action="save", internal_comment="Tab 1"))
    assert tab_1.status_code == 302
    tab_2 = client.post(
        url,
        full_review(
            criteria,
            action="save",
            internal_comment="Tab 2",
            **{f"score_{criteria[0].pk}": "2"},
        ),
    )

    assert tab_2.status_code == 409
    review = Review.objects.get(assignment__application=application)
    assert (review.internal_comment, review.edit_version) == ("Tab 1", 1)
    assert review.scores.get(criterion=criteria[0]).value == 6
    conflict = tab_2.context["conflict"]
    assert conflict["message"] == STALE
    assert conflict["rows"] == [
        {
            "label": "Relevance",
            "field_id": f"id_score_{criteria[0].pk}",
            "stored": "6",
            "sent": "2",
        },
        {
            "label": "Internal comment",
            "field_id": "id_internal_comment",
            "stored": "Tab 1",
            "sent": "Tab 2",
        },
    ]
    assert tab_2.context["form"]["edit_version"].value() == 1
    assert 'name="edit_version" value="1"' in tab_2.content.decode()
    again = client.post(
        url, full_review(criteria, action="save", internal_comment="Tab 2", edit_version="1")
    )
    assert again.status_code == 302
    review.refresh_from_db()
    assert (review.internal_comment, review.edit_version) == ("Tab 2", 2)


def test_the_service_refuses_a_first_save_when_a_draft_was_made_meanwhile(scene):
    _application, criteria, member, assignment = scene
    review_save(
        assignment=assignment, by=member.user, scores={}, internal_comment="First", base_version=0
    )
    with pytest.raises(StaleEdit):
        review_save(
            assignment=assignment,
            by=member.user,
            scores={criteria[0].pk: 3},
            internal_comment="Second",
            base_version=0,
        )
    review = Review.objects.get(assignment=assignment)
    assert (review.internal_comment, review.edit_version, review.scores.count()) == ("First", 1, 0)
