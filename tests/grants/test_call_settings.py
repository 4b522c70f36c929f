"""A call's settings are checked in the form (clean) and in the database (constraints)."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from tests import factories

pytestmark = pytest.mark.django_db


def test_a_minimum_of_reviews_above_the_reviewers_given_is_refused_by_clean():
    call = factories.CallFactory.build(reviewers_per_application=2, min_reviews=3)
    with pytest.raises(ValidationError) as refused:
        call.clean()
    assert "min_reviews" in refused.value.message_dict


def test_the_database_refuses_a_minimum_of_reviews_that_cannot_be_reached():
    with pytest.raises(IntegrityError):
        factories.CallFactory(reviewers_per_application=2, min_reviews=3)


def test_a_maximum_above_the_budget_is_refused_by_clean():
    call = factories.CallFactory.build(budget=100_000, max_amount=200_000)
    with pytest.raises(ValidationError) as refused:
        call.clean()
    assert "max_amount" in refused.value.message_dict
