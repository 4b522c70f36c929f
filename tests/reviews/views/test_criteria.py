"""A call's criteria, configured by the programme manager: the service's rules (valid values,
and nothing that changes scoring once a review has begun, all or nothing) and the page (who may
open and post it, errors on the page, a constant number of queries)."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import translation

from grants.models import Call, Criterion
from reviews.selectors.scores import criteria_locked
from reviews.services.assignments import assignment_add
from reviews.services.criteria import CriterionRow, criteria_save
from reviews.services.reviewing import review_save
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    # The services' messages are read in English here; the pages follow the user's language.
    with translation.override("en"):
        yield


@pytest.fixture
def programme_manager():
    # English users: the assertions read the English message ids.
    return factories.programme_manager(language="en")


@pytest.fixture
def decision_maker():
    return factories.decision_maker(language="en")


@pytest.fixture
def call():
    call = factories.CallFactory(disagreement_spread=Decimal("2.00"))
    factories.CriterionFactory(
        call=call, position=0, name_sv="Relevans", name_en="Relevance", weight=2, threshold=4
    )
    factories.CriterionFactory(call=call, position=1, name_sv="Genomförbarhet", weight=1)
    return call


def criteria_of(call) -> list[tuple]:
    return list(
        Criterion.objects.filter(call=call)
        .order_by("position")
        .values_list(
            "position", "name_sv", "name_en", "weight", "scale_min", "scale_max", "threshold"
        )
    )


def rows_of(call) -> list[CriterionRow]:
    """The call's criteria as they stand, as rows to change and save again."""
    return [
        CriterionRow(
            pk=c.pk,
            name_sv=c.name_sv,
            name_en=c.name_en,
            guidance_sv=c.guidance_sv,
            guidance_en=c.guidance_en,
            weight=c.weight,
            scale_min=c.scale_min,
            scale_max=c.scale_max,
            threshold=c.threshold,
        )
        for c in call.criteria.order_by("position")
    ]


def save(call, by, rows, *, total_threshold=None, disagreement_spread=Decimal("2")):
    return criteria_save(
        call=call,
        by=by,
        rows=rows,
        total_threshold=total_threshold,
        disagreement_spread=disagreement_spread,
    )


def begin_review(call, manager):
    """A reviewer saves a draft with one score: the call's review has begun."""
    application = factories.applications_in_review(call, by=manager)[0]
    member = factories.PanelMemberFactory(call=call)
    factories.declare_none(member, [application])
    assignment = assignment_add(member=member, application=application, by=manager)
    first = call.criteria.order_by("position").first()
    review_save(assignment=assignment, by=member.user, scores={first.pk: 5})


def replace(row: CriterionRow, **changes) -> CriterionRow:
    return CriterionRow(**{**row.__dict__, **changes})


# -- the service: saving -------------------------------------------------------------------------


def test_criteria_are_created_in_the_order_given_with_the_default_scale(programme_manager):
    call = factories.CallFactory()
    save(
        call,
        programme_manager,
        [
            CriterionRow(name_sv="Relevans", name_en="Relevance", weight=Decimal("2")),
            CriterionRow(name_sv="Kvalitet", weight=Decimal("1.5"), threshold=Decimal("3.5")),
        ],
        total_threshold=Decimal("4"),
        disagreement_spread=Decimal("1.5"),
    )
    assert criteria_of(call) == [
        (0, "Relevans", "Relevance", Decimal("2.00"), 1, 7, None),
        (1, "Kvalitet", "", Decimal("1.50"), 1, 7, Decimal("3.50")),
    ]
    call.refresh_from_db()
    assert call.total_threshold == Decimal("4.00")
    assert call.disagreement_spread == Decimal("1.50")


def test_criteria_are_changed_added_removed_and_reordered_before_review(programme_manager, call):
    relevance, feasibility = rows_of(call)
    save(
        call,
        programme_manager,
        [
            CriterionRow(name_sv="Nyhet", weight=Decimal("3"), scale_min=0, scale_max=5),
            replace(relevance, weight=Decimal("1"), scale_max=10, threshold=None),
        ],
    )
    assert criteria_of(call) == [
        (0, "Nyhet", "", Decimal("3.00"), 0, 5, None),
        (1, "Relevans", "Relevance", Decimal("1.00"), 1, 10, None),
    ]
    assert not Criterion.objects.filter(pk=feasibility.pk).exists()


def test_every_criterion_can_be_removed_before_review(programme_manager, call):
    save(call, programme_manager, [])
    assert criteria_of(call) == []


# -- the service: invalid values -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"weight": Decimal("0")}, "Relevans: the weight must be greater than 0."),
        ({"weight": Decimal("-1")}, "Relevans: the weight must be greater than 0."),
        ({"weight": None}, "Relevans: the weight must be greater than 0."),
        (
            {"scale_min": 7, "scale_max": 7},
            "Relevans: the highest score must be above the lowest score.",
        ),
        (
            {"scale_min": 5, "scale_max": 3},
            "Relevans: the highest score must be above the lowest score.",
        ),
        ({"scale_min": -1}, "Relevans: the lowest score must be 0 or more."),
        (
            {"threshold": Decimal("7.5")},
            "Relevans: the threshold must be on the scale, from the lowest to the highest score.",
        ),
        (
            {"threshold": Decimal("0.99")},
            "Relevans: the threshold must be on the scale, from the lowest to the highest score.",
        ),
        ({"name_sv": "  "}, "New criterion: the Swedish name is required."),
    ],
)
def test_invalid_values_are_refused_and_nothing_is_saved(programme_manager, call, changes, message):
    before = criteria_of(call)
    relevance, feasibility = rows_of(call)
    with pytest.raises(ValidationError) as refused:
        save(
            call,
            programme_manager,
            [replace(relevance, **changes), replace(feasibility, name_sv="Nytt namn")],
            total_threshold=Decimal("3"),
        )
    assert refused.value.messages == [message]
    assert criteria_of(call) == before
    call.refresh_from_db()
    assert call.total_threshold is None


def test_thresholds_at_the_ends_of_the_scale_are_accepted(programme_manager, call):
    relevance, feasibility = rows_of(call)
    save(
        call,
        programme_manager,
        [replace(relevance, threshold=Decimal("1")), replace(feasibility, threshold=Decimal("7"))],
        total_threshold=Decimal("7"),
    )
    assert [row[6] for row in criteria_of(call)] == [Decimal("1.00"), Decimal("7.00")]


def test_every_invalid_row_is_reported_at_once(programme_manager, call):
    relevance, feasibility = rows_of(call)
    with pytest.raises(ValidationError) as refused:
        save(
            call,
            programme_manager,
            [replace(relevance, weight=Decimal("0")), replace(feasibility, scale_max=1)],
        )
    assert refused.value.messages == [
        "Relevans: the weight must be greater than 0.",
        "Genomförbarhet: the highest score must be above the lowest score.",
    ]


def test_a_total_threshold_outside_the_criteria_scales_is_refused(programme_manager, call):
    with pytest.raises(ValidationError) as refused:
        save(call, programme_manager, rows_of(call), total_threshold=Decimal("7.01"))
    assert refused.value.messages == [
        "The total threshold must be within the criteria's scales, from 1 to 7."
    ]
    call.refresh_from_db()
    assert call.total_threshold is None


@pytest.mark.parametrize("spread", [Decimal("0"), Decimal("-1"), None])
def test_a_disagreement_spread_of_zero_or_less_is_refused(programme_manager, call, spread):
    with pytest.raises(ValidationError) as refused:
        save(call, programme_manager, rows_of(call), disagreement_spread=spread)
    assert refused.value.messages == ["The disagreement spread must be greater than 0."]
    call.refresh_from_db()
    assert call.disagreement_spread == Decimal("2.00")


def test_a_criterion_of_another_call_is_refused(programme_manager, call):
    other = factories.CriterionFactory(name_sv="Annat")
    before = criteria_of(call)
    with pytest.raises(ValidationError) as refused:
        save(call, programme_manager, [*rows_of(call), replace(rows_of(other.call)[0])])
    assert refused.value.messages == ["A criterion was sent that this call does not have."]
    assert criteria_of(call) == before
    other.refresh_from_db()
    assert other.call_id != call.pk


def test_the_same_criterion_twice_is_refused(programme_manager, call):
    relevance, feasibility = rows_of(call)
    with pytest.raises(ValidationError):
        save(call, programme_manager, [relevance, relevance, feasibility])


@pytest.mark.parametrize("role", ["decision_maker", "reviewer", "applicant"])
def test_only_programme_managers_may_save_criteria(call, role):
    user = {
        "decision_maker": lambda: factories.decision_maker(),
        "reviewer": lambda: factories.PanelMemberFactory(call=call).user,
        "applicant": lambda: factories.MembershipFactory().user,
    }[role]()
    before = criteria_of(call)
    with pytest.raises(PermissionDenied):
        save(call, user, [replace(rows_of(call)[0], weight=Decimal("9"))])
    assert criteria_of(call) == before


# -- the service: once a review has begun --------------------------------------------------------


def test_criteria_are_locked_by_a_draft_score(programme_manager, call):
    assert criteria_locked(call) is False
    begin_review(call, programme_manager)
    assert criteria_locked(call) is True
    assert criteria_locked(factories.CallFactory()) is False


LOCKED = (
    "Reviewers have begun scoring this call, so weights, scales, thresholds and the order can "
    "no longer change, and criteria can no longer be added or removed. Only names and guidance "
    "texts can be changed."
)


@pytest.mark.parametrize(
    "change",
    [
        "weight",
        "scale_min",
        "scale_max",
        "threshold",
        "threshold_removed",
        "add",
        "remove",
        "reorder",
        "total_threshold",
    ],
)
def test_after_the_first_score_only_names_and_guidance_may_change(programme_manager, call, change):
    begin_review(call, programme_manager)
    before = criteria_of(call)
    relevance, feasibility = rows_of(call)
    # A name change rides along: refused with the rest, as nothing is half-saved.
    relevance = replace(relevance, name_sv="Nytt namn")
    rows = {
        "weight": [replace(relevance, weight=Decimal("3")), feasibility],
        "scale_min": [replace(relevance, scale_min=0), feasibility],
        "scale_max": [replace(relevance, scale_max=10), feasibility],
        "threshold": [replace(relevance, threshold=Decimal("5")), feasibility],
        "threshold_removed": [replace(relevance, threshold=None), feasibility],
        "add": [relevance, feasibility, CriterionRow(name_sv="Ny", weight=Decimal("1"))],
        "remove": [relevance],
        "reorder": [feasibility, relevance],
        "total_threshold": [relevance, feasibility],
    }[change]
    total = Decimal("4") if change == "total_threshold" else None
    with pytest.raises(ValidationError) as refused:
        save(call, programme_manager, rows, total_threshold=total)
    assert refused.value.messages == [LOCKED]
    assert criteria_of(call) == before
    call.refresh_from_db()
    assert call.total_threshold is None


def test_after_the_first_score_names_guidance_and_spread_may_change(programme_manager, call):
    begin_review(call, programme_manager)
    relevance, feasibility = rows_of(call)
    save(
        call,
        programme_manager,
        [
            replace(relevance, name_sv="Relevans för målen", guidance_en="Fit with the aims."),
            replace(feasibility, name_en="Feasibility", guidance_sv="Är planen rimlig?"),
        ],
        disagreement_spread=Decimal("1.5"),
    )
    assert list(
        call.criteria.order_by("position").values_list(
            "name_sv", "name_en", "guidance_sv", "guidance_en", "weight", "threshold"
        )
    ) == [
        (
            "Relevans för målen",
            "Relevance",
            "",
            "Fit with the aims.",
            Decimal("2.00"),
            Decimal("4.00"),
        ),
        ("Genomförbarhet", "Feasibility", "Är planen rimlig?", "", Decimal("1.00"), None),
    ]
    call.refresh_from_db()
    assert call.disagreement_spread == Decimal("1.50")


def test_the_same_values_in_another_notation_are_not_a_change(programme_manager, call):
    begin_review(call, programme_manager)
    relevance, feasibility = rows_of(call)
    save(
        call,
        programme_manager,
        [replace(relevance, weight=Decimal("2.0"), threshold=Decimal("4")), feasibility],
    )
    assert criteria_of(call)[0][3:] == (Decimal("2.00"), 1, 7, Decimal("4.00"))


# -- the page ------------------------------------------------------------------------------------


def url(call):
    return reverse("reviews:criteria", args=[call.slug])


def formset_data(call, rows: list[dict], *, total="", spread="2", initial=None) -> dict:
    """What the page posts: the formset's management form, the rows, and the thresholds."""
    data = {
        "criteria-TOTAL_FORMS": str(len(rows)),
        "criteria-INITIAL_FORMS": str(initial if initial is not None else call.criteria.count()),
        "criteria-MIN_NUM_FORMS": "0",
        "criteria-MAX_NUM_FORMS": "1000",
        "call-total_threshold": total,
        "call-disagreement_spread": spread,
    }
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"criteria-{index}-{key}"] = value
    return data


def page_rows(call) -> list[dict]:
    return [
        {
            "id": str(c.pk),
            "position": str(index + 1),
            "name_sv": c.name_sv,
            "name_en": c.name_en,
            "guidance_sv": c.guidance_sv,
            "guidance_en": c.guidance_en,
            "weight": str(c.weight),
            "scale_min": str(c.scale_min),
            "scale_max": str(c.scale_max),
            "threshold": "" if c.threshold is None else str(c.threshold),
        }
        for index, c in enumerate(call.criteria.order_by("position"))
    ]


def test_the_programme_manager_sees_the_form_with_two_empty_rows(client, programme_manager, call):
    client.force_login(programme_manager)
    response = client.get(url(call))
    assert response.status_code == 200
    formset = response.context["formset"]
    assert len(formset.forms) == 4
    assert [form.initial.get("name_sv") for form in formset.forms] == [
        "Relevans",
        "Genomförbarhet",
        None,
        None,
    ]
    assert b'name="criteria-0-DELETE"' in response.content
    assert b"Save the criteria" in response.content


def test_the_decision_maker_reads_the_criteria_without_a_form(client, decision_maker, call):
    client.force_login(decision_maker)
    response = client.get(url(call))
    assert response.status_code == 200
    assert response.context["can_manage"] is False
    assert b'<form method="post" novalidate>' not in response.content
    assert '<th scope="row">Relevance</th>' in response.content.decode()


def test_the_decision_maker_may_not_post(client, decision_maker, call):
    before = criteria_of(call)
    client.force_login(decision_maker)
    rows = page_rows(call)
    rows[0]["weight"] = "5"
    assert client.post(url(call), formset_data(call, rows)).status_code == 403
    assert criteria_of(call) == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_login(client, call, method):
    response = getattr(client, method)(url(call))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("role", ["reviewer", "applicant", "superuser_without_role"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_other_users_are_refused(client, call, role, method):
    user = {
        "reviewer": lambda: factories.PanelMemberFactory(call=call).user,
        "applicant": lambda: factories.MembershipFactory().user,
        "superuser_without_role": lambda: factories.UserFactory(is_superuser=True, is_staff=True),
    }[role]()
    client.force_login(user)
    before = criteria_of(call)
    data = formset_data(call, page_rows(call)) if method == "post" else None
    assert getattr(client, method)(url(call), data).status_code == 403
    assert criteria_of(call) == before


def test_an_unknown_call_is_404_for_the_programme_manager(client, programme_manager):
    client.force_login(programme_manager)
    assert client.get("/review/manage/calls/no-such-call/criteria/").status_code == 404


def test_posting_changes_adds_and_removes_criteria(client, programme_manager, call):
    client.force_login(programme_manager)
    rows = page_rows(call)
    rows[0].update(weight="1,5", threshold="3,5", name_en="Relevance for the aims")
    rows[1]["DELETE"] = "on"
    rows.append(
        {
            "position": "",
            "name_sv": "Spridning",
            "name_en": "Dissemination",
            "weight": "1",
            "scale_min": "1",
            "scale_max": "5",
        }
    )
    rows.append({"position": "", "weight": "1", "scale_min": "1", "scale_max": "7"})  # untouched
    response = client.post(url(call), formset_data(call, rows, total="3,25", spread="1,5"))
    assert response.status_code == 302
    assert response.url == url(call)
    assert criteria_of(call) == [
        (0, "Relevans", "Relevance for the aims", Decimal("1.50"), 1, 7, Decimal("3.50")),
        (1, "Spridning", "Dissemination", Decimal("1.00"), 1, 5, None),
    ]
    call.refresh_from_db()
    assert (call.total_threshold, call.disagreement_spread) == (Decimal("3.25"), Decimal("1.50"))
    followed = client.get(response.url)
    assert [str(m) for m in followed.context["messages"]] == ["The criteria are saved."]


def test_the_order_numbers_reorder_the_criteria(client, programme_manager, call):
    client.force_login(programme_manager)
    rows = page_rows(call)
    rows[0]["position"], rows[1]["position"] = "2", "1"
    assert client.post(url(call), formset_data(call, rows)).status_code == 302
    assert [row[1] for row in criteria_of(call)] == ["Genomförbarhet", "Relevans"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("weight", "0", "Relevans: the weight must be greater than 0."),
        ("scale_max", "1", "Relevans: the highest score must be above the lowest score."),
        (
            "threshold",
            "8",
            "Relevans: the threshold must be on the scale, from the lowest to the highest score.",
        ),
        ("name_sv", "", "New criterion: the Swedish name is required."),
    ],
)
def test_an_invalid_value_is_shown_on_its_field_and_nothing_is_saved(
    client, programme_manager, call, field, value, message
):
    before = criteria_of(call)
    client.force_login(programme_manager)
    rows = page_rows(call)
    rows[0][field] = value
    rows[1]["name_sv"] = "Ändrat namn"
    response = client.post(url(call), formset_data(call, rows, total="4"))
    assert response.status_code == 200
    assert response.context["formset"].forms[0].errors == {field: [message]}
    page = response.content.decode()
    assert 'class="error-summary"' in page
    assert f'href="#id_criteria-0-{field}"' in page
    assert f'id="id_criteria-0-{field}_error"' in page
    assert criteria_of(call) == before
    call.refresh_from_db()
    assert call.total_threshold is None


def test_an_unreadable_weight_is_refused_on_the_page(client, programme_manager, call):
    before = criteria_of(call)
    client.force_login(programme_manager)
    rows = page_rows(call)
    rows[0]["weight"] = "two"
    response = client.post(url(call), formset_data(call, rows))
    assert response.status_code == 200
    assert list(response.context["formset"].forms[0].errors) == ["weight"]
    assert criteria_of(call) == before


def test_an_invalid_total_threshold_is_shown_on_its_field(client, programme_manager, call):
    client.force_login(programme_manager)
    response = client.post(url(call), formset_data(call, page_rows(call), total="9"))
    assert response.status_code == 200
    assert response.context["thresholds_form"].errors == {
        "total_threshold": [
            "The total threshold must be within the criteria's scales, from 1 to 7."
        ]
    }


def test_the_page_shows_the_lock_and_refuses_a_stale_weight_change(client, programme_manager, call):
    client.force_login(programme_manager)
    rows = page_rows(call)  # the page as loaded before the first score
    begin_review(call, programme_manager)
    before = criteria_of(call)

    page = client.get(url(call))
    assert page.context["locked"] is True
    assert len(page.context["formset"].forms) == 2
    assert b"DELETE" not in page.content
    assert b"readonly" in page.content

    rows[0]["weight"] = "3"
    rows[0]["name_sv"] = "Nytt namn"
    response = client.post(url(call), formset_data(call, rows))
    assert response.status_code == 200
    assert response.context["errors"] == [LOCKED]
    assert LOCKED in response.content.decode()
    assert criteria_of(call) == before


def test_names_can_be_corrected_on_the_page_after_the_first_score(client, programme_manager, call):
    begin_review(call, programme_manager)
    client.force_login(programme_manager)
    rows = page_rows(call)
    rows[1]["name_en"] = "Feasibility"
    response = client.post(url(call), formset_data(call, rows))
    assert response.status_code == 302
    assert criteria_of(call)[1][2] == "Feasibility"


def test_an_added_row_is_refused_after_the_first_score(client, programme_manager, call):
    begin_review(call, programme_manager)
    before = criteria_of(call)
    client.force_login(programme_manager)
    rows = page_rows(call)
    rows.append({"name_sv": "Ny", "weight": "1", "scale_min": "1", "scale_max": "7"})
    response = client.post(url(call), formset_data(call, rows))
    assert response.status_code == 200
    assert response.context["errors"] == [LOCKED]
    assert criteria_of(call) == before


def test_the_calls_page_links_to_the_criteria(client, programme_manager, call):
    client.force_login(programme_manager)
    response = client.get(reverse("reviews:manage_calls"))
    assert f'href="{url(call)}"'.encode() in response.content


def test_the_page_runs_the_same_number_of_queries_whatever_the_number_of_criteria(
    client, programme_manager, django_assert_num_queries
):
    client.force_login(programme_manager)
    small, large = factories.CallFactory(), factories.CallFactory()
    factories.CriterionFactory(call=small)
    factories.CriterionFactory.create_batch(8, call=large)
    client.get(url(small))  # warm the session and permissions
    with django_assert_num_queries(8) as counted:
        client.get(url(small))
    with django_assert_num_queries(len(counted.captured_queries)):
        client.get(url(large))
    assert Call.objects.count() == 2
