"""The reviewer's forms as the form-rendering layer shows them."""

import pytest
from django.utils import translation

from reviews.forms.reviewer import ReviewForm
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_score_shows_the_guidance_escaped_and_the_scale_as_its_hint():
    criterion = factories.CriterionFactory.build(
        pk=7, guidance_sv="Hur <b>väl</b>?\nTänk efter.", scale_min=1, scale_max=7
    )
    with translation.override("sv"):
        html = str(ReviewForm(criteria=[criterion])["score_7"].as_field_group())
    assert "Hur &lt;b&gt;väl&lt;/b&gt;?<br>Tänk efter.<br>Från 1 (lägst) till 7 (högst)." in html
    assert '<fieldset id="id_score_7"' in html
    assert f"<legend>{criterion.name_sv}</legend>" in html


def test_what_submitting_needs_is_not_labelled_optional_and_the_rest_is():
    criterion = factories.CriterionFactory.build(pk=7, scale_min=1, scale_max=5)
    with translation.override("en"):
        form = ReviewForm(criteria=[criterion])
        assert [name for name in form.fields if form[name].marked_optional] == ["internal_comment"]
