"""Labels say what is required: no "(optional)" on a field a service refuses when empty."""

import pytest

from applications.forms.decisions import DecisionProposeForm
from reviews.forms.reviewer import ReviewForm
from tests import factories

pytestmark = pytest.mark.django_db


def test_the_reason_for_approving_below_a_threshold_is_not_marked_optional():
    form = DecisionProposeForm(below_threshold=True)
    assert form["threshold_override"].marked_optional is False
    assert "(frivilligt)" not in str(form["threshold_override"].as_field_group())


def test_what_a_submitted_review_needs_is_not_marked_optional_but_the_internal_comment_is():
    call = factories.CallFactory()
    criterion = factories.CriterionFactory(call=call)
    form = ReviewForm(criteria=[criterion])
    marked = {name: form[name].marked_optional for name in form.fields}
    assert marked == {
        f"score_{criterion.pk}": False,
        "comment_for_applicant": False,
        "internal_comment": True,
        "recommendation": False,
        "edit_version": False,
    }
