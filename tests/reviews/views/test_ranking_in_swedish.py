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
    details = "Poängen i detalj Bedömningarnas viktade poäng"
    first, second = call.criteria.order_by("position", "pk")  # names from a factory sequence
    criterion_0 = f"Medelvärde: {first.name_sv} (tröskelvärde 3,00)"
    criterion_1 = f"Medelvärde: {second.name_sv}"
    reviews_in = "Inlämnade / tilldelade bedömningar"
    assert _rows(html) == [
        f"1 {n[0]} Trial 1 {o[0]} 500\u00a0000{kr} 5,00 {details} 5,00 5,00 Spridning 0,00 "
        f"{criterion_0} 5,50 {criterion_1} 4,00 {reviews_in} 2 / 2 delad placering Ryms Föreslå",
        f"2 {n[1]} Trial 2 {o[1]} 600\u00a0000{kr} 5,00 {details} 7,00 3,00 Spridning 4,00 "
        f"{criterion_0} 5,50 {criterion_1} 4,00 {reviews_in} 2 / 2 delad placering oenighet "
        "Ryms inte Föreslå",
        f"3 {n[2]} Trial 3 {o[2]} 400\u00a0000{kr} 4,50 {details} 4,00 5,00 Spridning 1,00 "
        f"{criterion_0} 4,00 {criterion_1} 5,50 {reviews_in} 2 / 2 Ryms Föreslå",
        f"Finansieringsgräns: 900\u00a0000{kr} av 1\u00a0000\u00a0000{kr} är intecknat, "
        f"100\u00a0000{kr} återstår. Ansökningarna ovanför ryms, de nedanför ryms inte.",
        f"4 {n[3]} Trial 4 {o[3]} 100\u00a0000{kr} 3,67 {details} 3,67 3,67 Spridning 0,00 "
        f"{criterion_0} 2,00 under tröskelvärdet {criterion_1} 7,00 {reviews_in} 2 / 2 "
        "under tröskelvärdet Kan inte beviljas Föreslå",
        f"– {n[4]} Trial 5 {o[4]} 100\u00a0000{kr} {details} inga ännu Spridning – "
        f"{criterion_0} – {criterion_1} – {reviews_in} 0 / 2 Kan inte beviljas inget",
    ]
    table = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    for word in ENGLISH_WORDS:
        assert f">{word}<" not in table, word
