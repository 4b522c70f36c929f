"""The ranking page in Swedish: every word the rows are built of in Python is translated (the
issue saw "none", "below threshold", "tied", "disagreement" and "none yet" in English)."""

import pytest
from django.urls import reverse

from tests import factories
from tests.reviews.views.test_ranking import _rows, ranked_call  # noqa: F401 -- the fixture

pytestmark = pytest.mark.django_db

ENGLISH_WORDS = ("none", "below threshold", "tied", "disagreement", "none yet")


@pytest.fixture
def programme_manager():
    return factories.programme_manager(language="sv")


def test_the_swedish_ranking_has_no_english_word_built_in_python(
    client,
    programme_manager,
    ranked_call,  # noqa: F811 -- the imported fixture
):
    call, applications = ranked_call
    client.force_login(programme_manager)

    html = client.get(reverse("reviews:ranking", args=[call.slug])).content.decode()

    n = [application.registration_number for application in applications]
    o = [application.organisation.name for application in applications]
    kr = "\u00a0kr"
    assert _rows(html) == [
        f"1 delad placering {n[0]} {o[0]} Trial 1 500\u00a0000{kr} "
        "5,00 5,00 5,00 0,00 5,50 4,00 2 / 2 Ryms Föreslå",
        f"2 delad placering {n[1]} {o[1]} Trial 2 600\u00a0000{kr} "
        "7,00 3,00 5,00 4,00 oenighet 5,50 4,00 2 / 2 Ryms inte Föreslå",
        f"3 {n[2]} {o[2]} Trial 3 400\u00a0000{kr} "
        "4,00 5,00 4,50 1,00 4,00 5,50 2 / 2 Ryms Föreslå",
        f"Finansieringsgräns: 900\u00a0000{kr} av 1\u00a0000\u00a0000{kr} är intecknat, "
        f"100\u00a0000{kr} återstår. Ansökningarna ovanför ryms, de nedanför ryms inte.",
        f"4 {n[3]} {o[3]} Trial 4 100\u00a0000{kr} "
        "3,67 3,67 3,67 0,00 2,00 under tröskelvärdet 7,00 2 / 2 Kan inte beviljas Föreslå",
        f"– {n[4]} {o[4]} Trial 5 100\u00a0000{kr} inga ännu 0 / 2 Kan inte beviljas inget",
    ]
    table = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    for word in ENGLISH_WORDS:
        assert f">{word}<" not in table, word
