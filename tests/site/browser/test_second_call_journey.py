"""A call of another kind than the coworking call, from nothing to its decision letter, in a real
browser and through the pages only (no /admin/).

A programme manager creates "Digital meeting rooms for regions": regions only, no hubs, a
section of its own with a single-choice and a date question, its own budget categories (one
added, the hub category removed), one interim report with an instalment after it, the outbox on,
its own appeal text and legal basis, a criterion. A decision maker publishes it (four eyes: the
person who made a call never publishes it). A region applies with that form and submits. The
clock moves past the closing time; the programme manager checks eligibility, starts review and
assigns the panel; two reviewers score; the programme manager proposes from the ranking; the
decision maker confirms; the programme manager releases the outbox; the applicant downloads the
letter, read back with pypdf: the call's appeal text, legal basis and the interim report's due
date. axe and the horizontal-overflow check on every page visited.

The applicant's steps go through the small helpers at the top (``_answer``, ``_choose``,
``_save_draft``...), so a change of the applicant's edit page is adapted in one place.
"""

import datetime as dt
import io
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import time_machine
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from applications.enums import ApplicationState, DecisionStatus, ReportKind
from applications.models import Application
from grants.enums import OrganisationKind
from grants.models import Call
from reviews.models import Review
from tests import factories

from .conftest import assert_no_horizontal_overflow

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Digital meeting rooms for regions"
APPEAL_EN = (
    "Appeal to the administrative court in Härnösand within three weeks; send the appeal to "
    "the agency, which checks that it arrived in time."
)
LEGAL_BASIS_EN = "The Ordinance (2026:100) on state grants for digital meeting rooms."


# -- the applicant's steps (the edit page may change; adapt them here) ----------------------------


def _open_whole_form(page):
    """From the task list a new application lands on, to the form with every part on one page,
    the call's own section among them."""
    expect(page.get_by_role("link", name="The meeting rooms")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("link", name="All parts on one page").click()


def _answer(page, label: str, value: str):
    """Fill the field of the applicant's form whose label is ``label``."""
    page.get_by_label(label, exact=True).fill(value)


def _choose(page, question: str, choice: str):
    """Pick ``choice`` of the single-choice question ``question``."""
    page.get_by_role("group", name=question).get_by_label(choice, exact=True).check()


def _budget_line(page, row: int, category: str, description: str, amount: str):
    page.select_option(f"#id_budget-{row}-category", category)
    page.fill(f"#id_budget-{row}-description", description)
    page.fill(f"#id_budget-{row}-amount", amount)


def _save_draft(page):
    _submit(page, "Save draft")
    expect(page.locator(".error-summary")).to_have_count(0)


def _submit_application(page):
    """From the edit page: check answers, the declaration, submit."""
    _submit(page, "Save and preview")
    page.get_by_label("I confirm that the information is correct").check()
    _submit(page, "Submit the application")


# -- the staff's steps --------------------------------------------------------------------------


def _submit(page, name: str):
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def _follow(page, name: str):
    with page.expect_navigation():
        page.get_by_role("link", name=name, exact=True).click()


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


class Visits:
    """Every page the test looks at: axe, no sideways scrolling, never the admin."""

    def __init__(self, page, axe):
        self.page, self.axe, self.urls = page, axe, []
        page.on("framenavigated", lambda frame: self.urls.append(frame.url))

    def check(self):
        self.axe(self.page)
        assert_no_horizontal_overflow(self.page)


def test_a_second_kind_of_call_from_the_editor_to_its_letter(page, live_url, login, axe):
    visits = Visits(page, axe)
    factories.HubFactory(name="Samverket Umeå")  # a hub exists; this call has none
    manager = factories.programme_manager(language="en", full_name="Maria Ek")
    decider = factories.decision_maker(language="en", full_name="Dag Decider")
    region = factories.OrganisationFactory(
        name="Region Västernorrland", kind=OrganisationKind.REGION
    )
    applicant = factories.UserFactory(language="en", full_name="Nils Åberg")
    factories.MembershipFactory(
        user=applicant, organisation=region, is_admin=True, is_signatory=True
    )
    reviewers = [
        factories.UserFactory(language="en", full_name=name) for name in ("Rut Ros", "Sam Sälg")
    ]
    now = timezone.now()
    opens = (now - dt.timedelta(days=1)).replace(second=0, microsecond=0)
    closes = (now + dt.timedelta(days=7)).replace(second=0, microsecond=0)
    start = timezone.localdate() + dt.timedelta(days=60)
    end = start + dt.timedelta(days=300)

    # -- the programme manager makes the call -------------------------------------------------
    login(manager)
    page.goto(live_url("applications:call_list"))
    visits.check()
    _follow(page, "New call")
    visits.check()
    page.get_by_label("Short name in addresses").fill("rooms-regions")
    page.get_by_label("Title (Swedish)").fill("Digitala mötesrum för regioner")
    page.get_by_label("Title (English)").fill(TITLE)
    page.get_by_label("Summary (Swedish)").fill("Stöd för digitala mötesrum i regioner.")
    page.get_by_label("Call text (Swedish)").fill("## Vem får söka\n\nRegioner.")
    page.get_by_label("Opens at").fill(_local(opens))
    page.get_by_label("Closes at").fill(_local(closes))
    page.get_by_label("Budget (kr)").fill("2000000")
    page.get_by_label("Maximum per application (kr)").fill("300000")
    _submit(page, "Save as draft")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    visits.check()
    call = Call.objects.get(slug="rooms-regions")
    manage_url = page.url

    # Regions only, no hubs.
    _follow(page, "Eligibility and hubs")
    visits.check()
    for kind in ("Municipality", "State agency", "Other public body"):
        page.get_by_label(kind, exact=True).uncheck()
    page.get_by_label("Region", exact=True).check()
    expect(page.get_by_label("Samverket Umeå")).not_to_be_checked()
    _submit(page, "Save")
    expect(page.get_by_text("The call was saved.")).to_be_visible()
    visits.check()

    # The outbox, the appeal text and the legal basis.
    page.goto(manage_url)
    _follow(page, "Decision settings")
    visits.check()
    page.get_by_label("Decisions can be appealed").check()
    page.get_by_label("How to appeal (Swedish)").fill(
        "Överklaga till förvaltningsrätten i Härnösand inom tre veckor."
    )
    page.get_by_label("How to appeal (English)").fill(APPEAL_EN)
    page.get_by_label("Legal basis (Swedish)").fill(
        "Förordningen (2026:100) om statsbidrag till digitala mötesrum."
    )
    page.get_by_label("Legal basis (English)").fill(LEGAL_BASIS_EN)
    page.get_by_label("Hold decisions until released").check()
    _submit(page, "Save")
    expect(page.get_by_text("The call was saved.")).to_be_visible()
    visits.check()

    # One interim report, and an instalment after it.
    page.goto(manage_url)
    _follow(page, "Follow-up: payments, reports, reminders")
    visits.check()
    page.get_by_label("Number of interim reports").fill("1")
    page.locator("#id_plan-0-share").fill("50")
    page.locator("#id_plan-1-share").fill("30")
    page.locator("#id_plan-1-after").select_option("interim_report")
    page.locator("#id_plan-2-share").fill("20")
    page.locator("#id_plan-2-after").select_option("final_report")
    _submit(page, "Save")
    expect(page.get_by_text("The call was saved.")).to_be_visible()
    visits.check()

    # Two reviewers per application, both needed.
    page.goto(manage_url)
    _follow(page, "Review settings")
    visits.check()
    page.get_by_label("Reviewers per application").fill("2")
    page.get_by_label("Minimum number of reviews to complete review").fill("2")
    _submit(page, "Save")
    expect(page.get_by_text("The call was saved.")).to_be_visible()

    # The application form: a section with a single choice and a date, budget categories.
    page.goto(manage_url)
    _follow(page, "Application form")
    visits.check()
    _follow(page, "Add a section")
    visits.check()
    page.get_by_label("Heading (Swedish)").fill("Mötesrummen")
    page.get_by_label("Heading (English)").fill("The meeting rooms")
    _submit(page, "Save")
    expect(page.get_by_text("The application form was saved.")).to_be_visible()
    questions = [
        (
            "room_kind",
            "single_choice",
            "Vilken sorts rum",
            "What kind of room",
            "small | Litet rum | Small room\nlarge | Stort rum | Large room",
        ),
        ("ready_by", "date", "Rummen är klara senast", "The rooms are ready by", ""),
    ]
    for key, kind, label_sv, label_en, choices in questions:
        _follow(page, "Add a question to “The meeting rooms”")
        visits.check()
        page.get_by_label("Key", exact=True).fill(key)
        page.get_by_label("Kind", exact=True).select_option(kind)
        page.get_by_label("Question (Swedish)").fill(label_sv)
        page.get_by_label("Question (English)").fill(label_en)
        page.get_by_label("Required at submission").check()
        if choices:
            page.locator("#id_choices").fill(choices)
        _submit(page, "Save")
        expect(page.get_by_text("The application form was saved.")).to_be_visible()
    visits.check()
    _follow(page, "Add a budget category")
    visits.check()
    page.get_by_label("Key", exact=True).fill("screens")
    page.get_by_label("Name (Swedish)").fill("Skärmar och kameror")
    page.get_by_label("Name (English)").fill("Screens and cameras")
    _submit(page, "Save")
    _follow(page, "Remove hub")
    visits.check()
    _submit(page, "Remove")
    expect(page.get_by_text("Removed from the application form.")).to_be_visible()
    visits.check()
    assert [q.key for q in call.form_questions.order_by("position")] == ["room_kind", "ready_by"]
    assert [c.key for c in call.budget_categories.order_by("position")] == [
        "staff",
        "travel",
        "equipment",
        "evaluation",
        "other",
        "screens",
    ]

    # A criterion, on the review pages.
    page.goto(live_url("reviews:criteria", call.slug))
    visits.check()
    criterion = page.locator("fieldset", has_text="Criterion 1: a new criterion")
    criterion.get_by_label("Name (Swedish)").fill("Nytta för länet")
    criterion.get_by_label("Name (English)").fill("Benefit to the county")
    _submit(page, "Save the criteria")
    visits.check()
    assert [c.name_en for c in call.criteria.all()] == ["Benefit to the county"]

    page.goto(live_url("applications:call_preview", call.pk))
    visits.check()

    call.refresh_from_db()
    assert (call.eligible_kinds, list(call.hubs.all())) == ([OrganisationKind.REGION], [])
    assert (call.interim_reports, call.hold_decisions_for_release) == (1, True)
    assert call.payment_plan == [
        {"share": 50, "after": "acceptance"},
        {"share": 30, "after": "interim_report"},
        {"share": 20, "after": "final_report"},
    ]
    assert not call.is_published

    # -- a second person publishes it ---------------------------------------------------------
    page.context.clear_cookies()
    login(decider)
    page.goto(manage_url)
    visits.check()
    _submit(page, "Publish the call")
    expect(page.get_by_text("The call is published.")).to_be_visible()
    visits.check()

    # -- a region applies with the call's own form -----------------------------------------------
    page.context.clear_cookies()
    login(applicant)
    page.goto(live_url("grants:call_detail", call.slug))
    visits.check()
    _submit(page, "Start an application")
    application = Application.objects.get(call=call)
    visits.check()
    _open_whole_form(page)
    visits.check()
    expect(page.locator("#id_hub")).to_have_count(0)
    page.fill("#id_title", "Mötesrum i Härnösand och Sundsvall")
    page.fill("#id_summary", "Fyra mötesrum kopplas ihop för länsövergripande möten.")
    page.fill("#id_period_start", start.isoformat())
    page.fill("#id_period_end", end.isoformat())
    page.fill("#id_requested_amount", "250000")
    _choose(page, "What kind of room", "Large room")
    _answer(page, "The rooms are ready by", (start + dt.timedelta(days=90)).isoformat())
    _budget_line(page, 0, "screens", "Skärmar, kameror och mikrofoner", "200000")
    _budget_line(page, 1, "staff", "Projektledning", "50000")
    _save_draft(page)
    visits.check()
    application.refresh_from_db()
    assert application.answers == {
        "room_kind": "large",
        "ready_by": (start + dt.timedelta(days=90)).isoformat(),
    }
    _submit_application(page)
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    visits.check()

    # -- after the closing time: eligibility, review, panel --------------------------------------
    with time_machine.travel(closes + dt.timedelta(minutes=1), tick=True):
        for reviewer in reviewers:
            factories.PanelMemberFactory(call=call, user=reviewer)
        page.context.clear_cookies()
        login(manager)
        page.goto(live_url("applications:manage_detail", application.pk))
        visits.check()
        checklist = page.locator("form", has=page.get_by_role("button", name="Save the checklist"))
        for box in checklist.get_by_role("checkbox").all():
            box.check()
        _submit(page, "Save the checklist")
        visits.check()
        _submit(page, "Start review")
        application.refresh_from_db()
        assert application.state == ApplicationState.IN_REVIEW
        visits.check()
        for member in call.panel_members.all():
            factories.declare_none(member, [application])
        page.goto(live_url("reviews:assignments", call.slug))
        visits.check()
        _submit(page, "Assign automatically")
        visits.check()

        # Both reviewers score.
        for reviewer, score in zip(reviewers, (6, 5), strict=True):
            page.context.clear_cookies()
            login(reviewer)
            page.goto(live_url("reviews:dashboard"))
            visits.check()
            _follow(page, application.registration_number)
            visits.check()
            criterion = call.criteria.get()
            page.check(f"#id_score_{criterion.pk}_{score - 1}")
            page.fill("#id_comment_for_applicant", "Väl avvägd budget för rummen.")
            page.check("input[name=recommendation][value=fund]")
            with page.expect_navigation():
                page.locator("#submit-review").click()
            visits.check()
            with page.expect_navigation():
                page.locator("button[name=action][value=submit]").click()
            visits.check()
        assert Review.objects.filter(assignment__application=application).count() == 2
        application.refresh_from_db()
        assert application.state == ApplicationState.REVIEWED

        # The programme manager proposes, the decision maker confirms.
        page.context.clear_cookies()
        login(manager)
        page.goto(live_url("reviews:ranking", call.slug))
        visits.check()
        page.get_by_label("Justification for the approvals (above the funding line)").fill(
            "The rooms serve the whole county."
        )
        page.get_by_label("Justification for the rejections (below the funding line)").fill(
            "Below the funding line."
        )
        _submit(page, "Propose the decisions")
        expect(page.get_by_text("1 approvals and 0 rejections were proposed.")).to_be_visible()
        visits.check()

        page.context.clear_cookies()
        login(decider)
        page.goto(live_url("applications:decisions"))
        visits.check()
        page.get_by_label(f"Select {application.registration_number} for confirmation").check()
        _submit(page, "Confirm the selected decisions")
        visits.check()
        _submit(page, "Yes, confirm the decision")
        # The confirmation runs as a background job: its page has the result (issue 15).
        expect(page.get_by_text("1 decision confirmed", exact=True)).to_be_visible()
        visits.check()
        decision = application.decisions.get(status=DecisionStatus.CONFIRMED)
        assert not hasattr(decision, "release")  # held in the outbox

        # The programme manager releases the outbox.
        page.context.clear_cookies()
        login(manager)
        page.goto(live_url("applications:decisions_release"))
        visits.check()
        _submit(page, f"Release 1 decision of {TITLE}")
        visits.check()
        _submit(page, "Yes, release the decisions")
        expect(page.get_by_text("1 decision was released to its applicant.")).to_be_visible()
        visits.check()
        decision.refresh_from_db()
        assert hasattr(decision, "release")

        # The applicant reads the letter.
        page.context.clear_cookies()
        login(applicant)
        page.goto(live_url("applications:detail", application.pk))
        visits.check()
        with page.expect_download() as download:
            page.get_by_role("link", name="Download the decision letter (PDF)").click()
        letter = Path(download.value.path()).read_bytes()

    text = " ".join(
        " ".join((p.extract_text() or "").split()) for p in PdfReader(io.BytesIO(letter)).pages
    )
    (interim,) = [
        report
        for report in decision.letter_data["reporting"]["reports"]
        if report["kind"] == ReportKind.INTERIM
    ]
    assert APPEAL_EN in text
    assert LEGAL_BASIS_EN in text
    assert f"Interim report 1 {interim['due_on']}" in text
    assert visits.urls
    assert [url for url in visits.urls if urlsplit(url).path.startswith("/admin/")] == []
