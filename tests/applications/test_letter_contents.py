"""What a decision letter says beyond the decision itself, as an agency's decision does (the
model is Vinnova's "Beslut om bidrag"), read back from the PDF with pypdf: the last day to
accept and how, every report's due date, the payment plan in kronor, the case officer and the
decision maker, the agency's address and general terms, the call's legal basis and appeal text,
and that the decision was made digitally. Then the decision email: what was decided and what to
do next, in the applicant's language.

Letters are made by the real chain (propose, confirm, the letter task after commit); the
follow-up that comes after acceptance is run too, to show the letter states the very dates and
amounts the follow-up then makes.
"""

import datetime as dt
import io

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from pypdf import PdfReader

from applications.enums import DecisionOutcome, IneligibilityReason
from applications.letters.render import render_letter_html
from applications.models import Decision, DecisionLetter
from applications.selectors.follow_up import acceptance_text
from applications.services.decisions import decision_confirm, decision_release
from applications.services.follow_up import application_accept_grant
from tests import factories

pytestmark = pytest.mark.django_db

PLAN = [
    {"share": 40, "after": "acceptance"},
    {"share": 30, "after": "interim_report"},
    {"share": 30, "after": "final_report"},
]


@pytest.fixture(autouse=True)
def agency(settings):
    settings.AGENCY_NAME = "Samverkansmyndigheten"
    settings.AGENCY_ADDRESS = "Box 6, 831 21 Östersund"
    settings.AGENCY_TERMS_URL = "https://bidrag.example.se/villkor"


@pytest.fixture
def presenter():
    return factories.programme_manager(
        full_name="Per Holm", email="per.holm@myndigheten.se", phone="010-473 30 00"
    )


@pytest.fixture
def decider():
    return factories.decision_maker(full_name="Eva Lind")


def _call(**kwargs):
    kwargs = {
        "decision_appealable": True,
        "interim_reports": 1,
        "final_report_days": 60,
        "acceptance_days": 30,
        "payment_plan": PLAN,
        "appeal_text_sv": "Beslutet kan överklagas hos förvaltningsrätten inom tre veckor.",
        "appeal_text_en": "The decision can be appealed to the administrative court.",
        "legal_basis_sv": "Förordning (2026:1) om stöd till samverkan.",
        "legal_basis_en": "Ordinance (2026:1) on support for collaboration.",
        **kwargs,
    }
    return factories.CallFactory(**kwargs)


def _confirmed(capture, presenter, decider, *, language="sv", call=None, review=True, **proposal):
    call = call or _call()
    if review:
        (application,) = factories.reviewed_applications(call, by=presenter, language=language)
    else:
        application = factories.submitted_application(call, language=language)
    decision = factories.proposed_decision(application, by=presenter, **proposal)
    with capture(execute=True):
        decision_confirm(decision=decision, by=decider)
    return Decision.objects.select_related("application").get(pk=decision.pk)


def _pdf(decision) -> bytes:
    with DecisionLetter.objects.get(decision=decision).file.open("rb") as handle:
        return handle.read()


def _text(pdf: bytes) -> str:
    """The letter's text, with non-breaking spaces and line breaks made plain spaces."""
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(text.replace("\u00a0", " ").split())


def _links(pdf: bytes) -> list[str]:
    """The addresses of the letter's link annotations, in order."""
    uris = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action and "/URI" in action:
                uris.append(str(action["/URI"]))
    return uris


def _accept(application):
    application.refresh_from_db()
    signatory = factories.applicant_for(application, is_signatory=True)
    decision = application.decisions.get(status="confirmed")
    application_accept_grant(
        application=application, by=signatory, text=acceptance_text(application, decision)
    )


# -- approval, in Swedish ---------------------------------------------------------------------


def test_swedish_approval_states_the_last_day_to_accept_and_how_with_the_link(
    presenter, decider, django_capture_on_commit_callbacks
):
    approval = _confirmed(
        django_capture_on_commit_callbacks, presenter, decider, granted_amount=450_000
    )
    pdf = _pdf(approval)
    text = _text(pdf)
    application = approval.application
    application.refresh_from_db()
    last_day = approval.decided_on + dt.timedelta(days=30)
    url = f"http://testserver/applications/{application.pk}/grant/accept/"

    # Released at once (the call does not hold decisions): the letter's day is the one set.
    assert application.accept_by == last_day
    assert f"Sista dag att tacka ja till bidraget {last_day:%Y-%m-%d}" in text
    assert "Så tackar ni ja till bidraget" in text
    assert (
        "Bidraget måste accepteras i Samverket Grants av en person med firmateckningsrätt för "
        "organisationen innan det kan betalas ut." in text
    )
    assert (
        f"Tacka ja till bidraget senast {last_day:%Y-%m-%d}. Om bidraget inte har accepterats "
        "till dess förfaller det och inget betalas ut." in text
    )
    assert f"Tacka ja till bidraget här: {url}" in text
    assert url in _links(pdf)


def test_swedish_approval_lists_every_report_with_the_due_date_the_follow_up_gives_it(
    presenter, decider, django_capture_on_commit_callbacks
):
    approval = _confirmed(
        django_capture_on_commit_callbacks, presenter, decider, granted_amount=450_000
    )
    text = _text(_pdf(approval))

    # 2027-02-01 – 2027-12-31: the interim report half way, the final one 60 days after.
    assert (
        "Rapporter Rapport Sista dag att lämna in Delrapport 1 2027-07-17 Slutrapport 2028-02-29"
        in text
    )
    assert "Rapporterna skrivs och lämnas in i Samverket Grants." in text
    _accept(approval.application)
    made = approval.application.reports.order_by("due_on")
    assert [(r.kind, r.number, r.due_on) for r in made] == [
        ("interim", 1, dt.date(2027, 7, 17)),
        ("final", 1, dt.date(2028, 2, 29)),
    ]


def test_swedish_approval_gives_the_payment_plan_in_kronor_as_the_follow_up_pays_it(
    presenter, decider, django_capture_on_commit_callbacks
):
    approval = _confirmed(
        django_capture_on_commit_callbacks, presenter, decider, granted_amount=450_001
    )
    text = _text(_pdf(approval))

    assert (
        "Utbetalningsplan Delutbetalning Belopp Betalas ut "
        "1 (40 %) 180 001 kr när bidraget har accepterats "
        "2 (30 %) 135 000 kr när delrapport 1 har godkänts "
        "3 (30 %) 135 000 kr när slutrapporten har godkänts" in text
    )
    _accept(approval.application)
    payments = approval.application.payments.order_by("position")
    assert [(p.trigger, p.report_number, p.amount) for p in payments] == [
        ("acceptance", None, 180_001),
        ("interim_report", 1, 135_000),
        ("final_report", None, 135_000),
    ]


def test_swedish_approval_names_the_case_officer_the_decision_maker_and_the_agency(
    presenter, decider, django_capture_on_commit_callbacks
):
    approval = _confirmed(django_capture_on_commit_callbacks, presenter, decider)
    pdf = _pdf(approval)
    text = _text(pdf)
    number = approval.application.registration_number

    assert text.startswith("Samverkansmyndigheten Box 6, 831 21 Östersund Beslut")
    assert "Beslutet har fattats av Eva Lind. Föredragande har varit Per Holm." in text
    assert "Detta beslut har fattats digitalt och saknar därför underskrifter." in text
    assert (
        "Kontakt Kontakta handläggaren om du har frågor om beslutet. "
        f"Ange diarienummer {number}. "
        "Handläggare Per Holm E-post per.holm@myndigheten.se Telefon 010-473 30 00 "
        "Postadress Samverkansmyndigheten, Box 6, 831 21 Östersund" in text
    )
    assert (
        "Myndighetens allmänna villkor för bidrag gäller också: "
        "https://bidrag.example.se/villkor" in text
    )
    assert "https://bidrag.example.se/villkor" in _links(pdf)


def test_swedish_approval_gives_the_calls_legal_basis_and_appeal_text(
    presenter, decider, django_capture_on_commit_callbacks
):
    approval = _confirmed(django_capture_on_commit_callbacks, presenter, decider)
    text = _text(_pdf(approval))

    assert "Rättslig grund Förordning (2026:1) om stöd till samverkan." in text
    assert (
        "Hur man överklagar Beslutet kan överklagas hos förvaltningsrätten inom tre veckor." in text
    )
    assert "Ordinance" not in text


def test_approval_of_a_call_that_holds_decisions_gives_the_days_to_accept_and_no_date(
    presenter, decider, django_capture_on_commit_callbacks
):
    call = _call(hold_decisions_for_release=True)
    approval = _confirmed(django_capture_on_commit_callbacks, presenter, decider, call=call)
    text = _text(_pdf(approval))

    assert approval.letter_data["acceptance"]["accept_by"] is None
    assert "Sista dag att tacka ja" not in text
    assert (
        "Tacka ja till bidraget inom 30 dagar från den dag beslutet skickas till er. Sista "
        "dagen står i e-postmeddelandet om beslutet och på ansökans sida i Samverket Grants."
        in text
    )


def test_correction_of_an_accepted_grant_asks_for_no_new_acceptance_nor_restates_the_plan(
    presenter, decider, django_capture_on_commit_callbacks
):
    approval = _confirmed(
        django_capture_on_commit_callbacks, presenter, decider, granted_amount=450_000
    )
    _accept(approval.application)
    correction = factories.proposed_decision(
        approval.application, by=presenter, granted_amount=400_000, supersedes=approval
    )
    with django_capture_on_commit_callbacks(execute=True):
        decision_confirm(decision=correction, by=decider)
    correction.refresh_from_db()
    text = _text(_pdf(correction))

    assert correction.letter_data["payment_plan"] == []
    assert "Bidraget har redan accepterats. Det här beslutet behöver inte accepteras igen." in text
    assert "Tacka ja till bidraget senast" not in text
    assert "Delutbetalning Belopp" not in text
    assert "Utbetalningsplan Det som redan har betalats ut ligger fast." in text
    correction_email = [m for m in mail.outbox if m.subject.startswith("Beslut om")][-1]
    body = " ".join(correction_email.body.split())
    assert "med 400 000 kr. Beslutet rättar och ersätter det tidigare beslutet" in body
    grant_url = "http://testserver" + reverse(
        "applications:follow_up", args=[approval.application_id]
    )
    assert (
        "Vad du behöver göra nu På bidragets sida finns utbetalningsplanen och de rapporter som "
        f"ska lämnas in. {grant_url}" in body
    )
    assert "senast" not in body


def test_letter_data_frozen_before_these_contents_still_renders_as_it_was(
    presenter, decider, django_capture_on_commit_callbacks
):
    approval = _confirmed(django_capture_on_commit_callbacks, presenter, decider, language="en")
    new_keys = ("agency_address", "terms_url", "acceptance", "payment_plan", "case_officer")
    old = {key: value for key, value in approval.letter_data.items() if key not in new_keys}
    old["reporting"] = {"final_report_due": "2028-02-29"}

    html = render_letter_html(old)

    assert "Final report due</th><td>2028-02-29</td>" in html
    assert "The grant must be accepted in Samverket Grants" in html
    for left_out in ("Last day to accept", "Payment plan", "Case officer", "general terms"):
        assert left_out not in html


# -- approval, in English ---------------------------------------------------------------------


def test_english_approval_states_everything_in_english(
    presenter, decider, django_capture_on_commit_callbacks
):
    approval = _confirmed(
        django_capture_on_commit_callbacks,
        presenter,
        decider,
        language="en",
        granted_amount=450_000,
    )
    text = _text(_pdf(approval))
    last_day = approval.decided_on + dt.timedelta(days=30)
    number = approval.application.registration_number
    url = f"http://testserver/applications/{approval.application_id}/grant/accept/"

    assert f"Last day to accept the grant {last_day:%Y-%m-%d}" in text
    assert f"Accept the grant no later than {last_day:%Y-%m-%d}." in text
    assert f"Accept the grant here: {url}" in text
    assert (
        "Payment plan Instalment Amount When it is paid "
        "1 (40 %) 180 000 kr when the grant has been accepted "
        "2 (30 %) 135 000 kr when interim report 1 has been approved "
        "3 (30 %) 135 000 kr when the final report has been approved" in text
    )
    assert (
        "Reports Report Last day to submit Interim report 1 2027-07-17 Final report 2028-02-29"
        in text
    )
    assert (
        "The agency's general terms for grants also apply: https://bidrag.example.se/villkor"
        in text
    )
    assert "Legal basis Ordinance (2026:1) on support for collaboration." in text
    assert "How to appeal The decision can be appealed to the administrative court." in text
    assert "Eva Lind has made this decision. Per Holm presented the case." in text
    assert "This decision was made digitally and therefore has no signatures." in text
    assert (
        "Contact If you have questions about the decision, contact the case officer. Give the "
        f"registration number {number}. Case officer Per Holm Email per.holm@myndigheten.se "
        "Phone 010-473 30 00 Postal address Samverkansmyndigheten, Box 6, 831 21 Östersund" in text
    )
    assert text.startswith("Samverkansmyndigheten Box 6, 831 21 Östersund Decision")


# -- rejection and ineligibility --------------------------------------------------------------


def test_swedish_rejection_gives_the_reason_appeal_legal_basis_case_officer_and_agency(
    presenter, decider, django_capture_on_commit_callbacks
):
    decision = _confirmed(
        django_capture_on_commit_callbacks,
        presenter,
        decider,
        outcome=DecisionOutcome.REJECTED,
        justification="Andra ansökningar rankades högre inom budgeten.",
    )
    text = _text(_pdf(decision))

    assert "Skäl för beslutet Andra ansökningar rankades högre inom budgeten." in text
    assert "Rättslig grund Förordning (2026:1) om stöd till samverkan." in text
    assert (
        "Hur man överklagar Beslutet kan överklagas hos förvaltningsrätten inom tre veckor." in text
    )
    assert "Beslutet har fattats av Eva Lind. Föredragande har varit Per Holm." in text
    assert "Detta beslut har fattats digitalt och saknar därför underskrifter." in text
    assert (
        "Handläggare Per Holm E-post per.holm@myndigheten.se Telefon 010-473 30 00 "
        "Postadress Samverkansmyndigheten, Box 6, 831 21 Östersund" in text
    )
    assert text.startswith("Samverkansmyndigheten Box 6, 831 21 Östersund Beslut")
    for approval_only in ("tacka ja", "Utbetalningsplan", "Rapporter", "allmänna villkor"):
        assert approval_only not in text
    assert decision.letter_data["acceptance"] is None
    assert decision.letter_data["payment_plan"] == []
    assert decision.letter_data["reporting"]["reports"] == []


def test_swedish_ineligibility_gives_the_reason_appeal_legal_basis_case_officer_and_agency(
    presenter, decider, django_capture_on_commit_callbacks
):
    decision = _confirmed(
        django_capture_on_commit_callbacks,
        presenter,
        decider,
        review=False,
        outcome=DecisionOutcome.REJECTED_INELIGIBLE,
        reason_code=IneligibilityReason.ORGANISATION,
        justification="Endast kommuner och regioner får söka.",
    )
    text = _text(_pdf(decision))
    with translation.override("sv"):
        reason = str(IneligibilityReason.ORGANISATION.label)

    assert f"{reason}." in text
    assert "Skäl för beslutet Endast kommuner och regioner får söka." in text
    assert "Rättslig grund Förordning (2026:1) om stöd till samverkan." in text
    assert "Hur man överklagar Beslutet kan överklagas hos förvaltningsrätten" in text
    assert "Detta beslut har fattats digitalt och saknar därför underskrifter." in text
    assert "Handläggare Per Holm E-post per.holm@myndigheten.se" in text
    assert "Postadress Samverkansmyndigheten, Box 6, 831 21 Östersund" in text
    assert "tacka ja" not in text


def test_english_rejection_gives_the_reason_appeal_legal_basis_case_officer_and_agency(
    presenter, decider, django_capture_on_commit_callbacks
):
    decision = _confirmed(
        django_capture_on_commit_callbacks,
        presenter,
        decider,
        language="en",
        outcome=DecisionOutcome.REJECTED,
        justification="Other applications ranked higher within the budget.",
    )
    text = _text(_pdf(decision))

    assert "Reasons for the decision Other applications ranked higher within the budget." in text
    assert "Legal basis Ordinance (2026:1) on support for collaboration." in text
    assert "How to appeal The decision can be appealed to the administrative court." in text
    assert "This decision was made digitally and therefore has no signatures." in text
    assert "Case officer Per Holm Email per.holm@myndigheten.se Phone 010-473 30 00" in text
    assert "Postal address Samverkansmyndigheten, Box 6, 831 21 Östersund" in text
    assert "accept" not in text.lower()


def test_a_case_officer_without_a_phone_number_is_given_without_one(
    decider, django_capture_on_commit_callbacks
):
    presenter = factories.programme_manager(full_name="Per Holm", phone="")
    decision = _confirmed(
        django_capture_on_commit_callbacks, presenter, decider, outcome=DecisionOutcome.REJECTED
    )
    text = _text(_pdf(decision))

    assert f"Handläggare Per Holm E-post {presenter.email} Postadress" in text
    assert "Telefon" not in text


def test_an_agency_without_terms_or_address_set_leaves_them_out(
    settings, presenter, decider, django_capture_on_commit_callbacks
):
    settings.AGENCY_ADDRESS = ""
    settings.AGENCY_TERMS_URL = ""
    approval = _confirmed(django_capture_on_commit_callbacks, presenter, decider)
    text = _text(_pdf(approval))

    assert "allmänna villkor för bidrag" not in text
    assert "Postadress Samverkansmyndigheten Samverkansmyndigheten ·" in text


# -- the decision email -----------------------------------------------------------------------


def _decision_email(decision):
    (message,) = [m for m in mail.outbox if m.subject.startswith(("Beslut om", "Decision on"))]
    return message, message.alternatives[0][0]


def test_swedish_approval_email_says_the_amount_the_last_day_and_what_to_do(
    presenter, decider, django_capture_on_commit_callbacks
):
    approval = _confirmed(
        django_capture_on_commit_callbacks, presenter, decider, granted_amount=450_000
    )
    application = approval.application
    application.refresh_from_db()
    number = application.registration_number
    with translation.override("sv"):
        last_day = date_format(application.accept_by, "j F Y")
    message, html = _decision_email(approval)
    accept_url = "http://testserver" + reverse("applications:accept_grant", args=[application.pk])
    letter_url = "http://testserver" + reverse(
        "applications:decision_letter", args=[application.pk, approval.pk]
    )
    body = " ".join(message.body.replace("\u00a0", " ").split())

    assert message.subject == f"Beslut om din ansökan {number}: beviljad"
    assert "anna@example.se" in message.to
    assert (
        f"Samverkansmyndigheten har beviljat ansökan {number}, ”{application.title}”, "
        "med 450 000 kr." in body
    )
    assert (
        f"Vad du behöver göra nu En person med firmateckningsrätt för "
        f"{application.organisation.name} tackar ja till bidraget i Samverket Grants senast "
        f"{last_day}. Om bidraget inte har accepterats till dess förfaller det och inget "
        f"betalas ut. Tacka ja till bidraget här: {accept_url}" in body
    )
    assert f"Läs beslutsbrevet här: {letter_url}" in body
    assert f'<a href="{accept_url}">Tacka ja till bidraget</a>' in html
    assert f'<a href="{letter_url}">Läs beslutsbrevet</a>' in html
    assert '<html lang="sv">' in html


def test_held_approval_email_gives_the_last_day_counted_from_the_release(
    presenter, decider, django_capture_on_commit_callbacks
):
    call = _call(hold_decisions_for_release=True)
    approval = _confirmed(
        django_capture_on_commit_callbacks, presenter, decider, call=call, language="en"
    )
    assert [m.subject for m in mail.outbox if m.subject.startswith("Decision")] == []
    released_on = timezone.localdate() + dt.timedelta(days=5)

    with (
        time_machine.travel(dt.datetime.combine(released_on, dt.time(10)), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        decision_release(decision=approval, by=presenter)
    message, _html = _decision_email(approval)
    approval.application.refresh_from_db()

    assert approval.application.accept_by == released_on + dt.timedelta(days=30)
    with translation.override("en"):
        last_day = date_format(approval.application.accept_by, "j F Y")
    assert message.subject == (
        f"Decision on your application {approval.application.registration_number}: approved"
    )
    assert f"accepts the grant in Samverket Grants no later than {last_day}." in message.body


def test_english_rejection_email_says_it_is_not_granted_and_where_the_reasons_are(
    presenter, decider, django_capture_on_commit_callbacks
):
    decision = _confirmed(
        django_capture_on_commit_callbacks,
        presenter,
        decider,
        language="en",
        outcome=DecisionOutcome.REJECTED,
    )
    application = decision.application
    number = application.registration_number
    message, html = _decision_email(decision)
    letter_url = "http://testserver" + reverse(
        "applications:decision_letter", args=[application.pk, decision.pk]
    )

    assert message.subject == f"Decision on your application {number}: not granted"
    assert (
        f"Samverkansmyndigheten has decided not to grant the application {number}, "
        f"“{application.title}”." in message.body
    )
    assert (
        "What to do next\nThe letter gives the reasons for the decision and says how to appeal "
        "against it." in message.body
    )
    assert f"Read the decision letter here:\n{letter_url}" in message.body
    assert "accept" not in message.body.lower()
    assert '<html lang="en">' in html


def test_swedish_ineligibility_email_says_why_it_could_not_be_considered(
    decider, django_capture_on_commit_callbacks
):
    presenter = factories.programme_manager()
    decision = _confirmed(
        django_capture_on_commit_callbacks,
        presenter,
        decider,
        call=_call(decision_appealable=False),
        review=False,
        outcome=DecisionOutcome.REJECTED_INELIGIBLE,
        reason_code=IneligibilityReason.ORGANISATION,
    )
    number = decision.application.registration_number
    message, _html = _decision_email(decision)
    body = " ".join(message.body.split())

    assert message.subject == f"Beslut om din ansökan {number}: inte beviljad"
    assert (
        f"Samverkansmyndigheten har avslagit ansökan {number}, ”{decision.application.title}”, "
        "eftersom den inte uppfyller utlysningens krav på vem och vad som kan få stöd." in body
    )
    assert "Vad du behöver göra nu I beslutsbrevet står skälen för beslutet." in body
    assert "överklagar" not in body
