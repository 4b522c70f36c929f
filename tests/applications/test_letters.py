"""Decision letters: what the PDF says, read back with pypdf; what it is (PDF/A-3a, tagged,
fonts embedded, the decision attached as JSON); how it is stored; the preview before proposing;
and the permission-checked download.

Letters are made by the real chain: a programme manager proposes, a decision maker confirms,
and the letter task runs after commit (``django_capture_on_commit_callbacks``). S3 storage,
storage failures and retries are in test_letters_s3.py.
"""

import hashlib
import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.core import mail
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import translation
from pypdf import PdfReader

from applications.enums import DecisionOutcome, IneligibilityReason
from applications.letters.render import render_letter_preview
from applications.models import Decision, DecisionLetter, DecisionRelease
from applications.services.decisions import decision_confirm, decision_release
from applications.services.letters import decision_letter_generate
from applications.services.transitions import application_complete_review
from reviews.services.assignments import assignment_add
from tests import factories

pytestmark = pytest.mark.django_db

ADDRESS = "Rådhusgatan 44\n831 82 Östersund"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def presenter():
    return factories.programme_manager(full_name="Per Holm")


@pytest.fixture
def decider():
    return factories.decision_maker(full_name="Eva Lind")


@pytest.fixture
def call():
    return factories.CallFactory(
        decision_appealable=True,
        letter_wording_sv="Stödet lämnas som statligt stöd av mindre betydelse.",
        letter_wording_en="The grant is given as de minimis aid.",
        final_report_days=60,
    )


def _application(call, presenter, *, language="en", review=True):
    organisation = factories.OrganisationFactory(name="Östersunds kommun", address=ADDRESS)
    if review:
        (application,) = factories.reviewed_applications(
            call, by=presenter, organisation=organisation, language=language
        )
        return application
    return factories.submitted_application(call, organisation=organisation, language=language)


def _confirmed(capture, application, presenter, decider, **proposal):
    decision = factories.proposed_decision(application, by=presenter, **proposal)
    with capture(execute=True):
        decision_confirm(decision=decision, by=decider)
    return Decision.objects.select_related("letter", "application").get(pk=decision.pk)


@pytest.fixture
def approval(call, presenter, decider, django_capture_on_commit_callbacks):
    application = _application(call, presenter)
    return _confirmed(
        django_capture_on_commit_callbacks,
        application,
        presenter,
        decider,
        granted_amount=450_000,
        conditions="Report on commuting after six months.",
        justification="A clear plan that fits the call's aim.",
        feedback="The reference group liked the evaluation plan.",
    )


def _stored_pdf(decision) -> bytes:
    with DecisionLetter.objects.get(decision=decision).file.open("rb") as handle:
        return handle.read()


def _text(pdf: bytes) -> str:
    """The letter's text, with non-breaking spaces and line breaks made plain spaces."""
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() for page in reader.pages)
    return " ".join(text.replace("\u00a0", " ").split())


# -- what the letter says ---------------------------------------------------------------------


def test_approval_letter_states_the_decision_with_everything_the_applicant_needs(approval):
    pdf = _stored_pdf(approval)
    text = _text(pdf)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    number = approval.application.registration_number

    assert re.fullmatch(r"\d{4}-\d{5}", number)
    assert f"Registration number: {number}" in text
    assert f"Date: {approval.decided_on:%Y-%m-%d}" in text
    assert "Decision: your application is approved" in text
    assert "Amount granted 450 000 kr" in text
    assert "Amount applied for 500 000 kr" in text
    assert "grants Östersunds kommun 450 000 kr for the project" in text
    orgnr = approval.application.organisation.orgnr
    assert f"Organisation number {orgnr}" in text
    assert f"Applicant Östersunds kommun ({orgnr})" in text
    assert "Rådhusgatan 44 831 82 Östersund" in text
    assert "Project period 2027-02-01 – 2027-12-31" in text
    assert "Final report 2028-02-29" in text  # 2027-12-31 + 60 days
    assert "Report on commuting after six months." in text
    assert "The grant is given as de minimis aid." in text
    assert "Reasons for the decision A clear plan that fits the call's aim." in text
    assert "Comments from the assessment The reference group liked the evaluation plan." in text
    assert "Eva Lind has made this decision. Per Holm presented the case." in text
    for page in range(1, pages + 1):
        assert f"Page {page} of {pages}" in text


def test_appealable_decision_says_how_to_appeal(approval):
    text = _text(_stored_pdf(approval))

    assert "How to appeal If you want to appeal against the decision, write to" in text
    assert "within three weeks of the day you were notified of the decision" in text
    assert "cannot be appealed" not in text


def test_decision_of_a_call_without_appeal_says_it_cannot_be_appealed(
    presenter, decider, django_capture_on_commit_callbacks
):
    call = factories.CallFactory(decision_appealable=False)
    decision = _confirmed(
        django_capture_on_commit_callbacks,
        _application(call, presenter),
        presenter,
        decider,
        outcome=DecisionOutcome.REJECTED,
    )
    text = _text(_stored_pdf(decision))

    assert "How to appeal This decision cannot be appealed." in text
    assert "If you want to appeal" not in text


def test_a_calls_own_appeal_text_and_legal_basis_replace_the_standard_paragraph(
    presenter, decider, django_capture_on_commit_callbacks
):
    call = factories.CallFactory(
        decision_appealable=True,
        appeal_text_sv="Överklaga till förvaltningsrätten.",
        appeal_text_en="Appeal to the administrative court within three weeks.",
        legal_basis_sv="Förordning (2026:1) om stöd till samverkan.",
        legal_basis_en="Ordinance (2026:1) on support for collaboration.",
    )
    decision = _confirmed(
        django_capture_on_commit_callbacks,
        _application(call, presenter),
        presenter,
        decider,
        outcome=DecisionOutcome.REJECTED,
    )
    text = _text(_stored_pdf(decision))

    assert "Legal basis Ordinance (2026:1) on support for collaboration." in text
    assert "How to appeal Appeal to the administrative court within three weeks." in text
    assert "If you want to appeal" not in text
    assert decision.letter_data["appeal_text"] == call.appeal_text_en


def test_rejection_letter_gives_the_reasons_and_no_amount(
    call, presenter, decider, django_capture_on_commit_callbacks
):
    decision = _confirmed(
        django_capture_on_commit_callbacks,
        _application(call, presenter),
        presenter,
        decider,
        outcome=DecisionOutcome.REJECTED,
        justification="Other applications ranked higher within the budget.",
        feedback="Describe how the trial will be evaluated.",
    )
    text = _text(_stored_pdf(decision))

    assert "Decision: your application is not granted" in text
    assert "rejects the application from Östersunds kommun." in text
    assert "Other applications ranked higher within the budget." in text
    assert "Describe how the trial will be evaluated." in text
    assert "Amount granted" not in text
    assert "Final report due" not in text
    assert "Eva Lind has made this decision. Per Holm presented the case." in text


def test_ineligibility_letter_names_the_reason(
    call, presenter, decider, django_capture_on_commit_callbacks
):
    application = _application(call, presenter, review=False)
    decision = _confirmed(
        django_capture_on_commit_callbacks,
        application,
        presenter,
        decider,
        outcome=DecisionOutcome.REJECTED_INELIGIBLE,
        reason_code=IneligibilityReason.ORGANISATION,
        justification="Only municipalities and regions may apply.",
    )
    text = _text(_stored_pdf(decision))

    assert "Decision: your application cannot be considered" in text
    assert f"{IneligibilityReason.ORGANISATION.label}." in text
    assert "The organisation may not apply to this call." in text
    assert "Only municipalities and regions may apply." in text
    assert application.registration_number in text


def test_correction_letter_says_which_decision_it_replaces(
    approval, decider, presenter, django_capture_on_commit_callbacks
):
    correction = _confirmed(
        django_capture_on_commit_callbacks,
        approval.application,
        presenter,
        decider,
        granted_amount=400_000,
        supersedes=approval,
    )
    text = _text(_stored_pdf(correction))

    assert (
        "This decision corrects and replaces the decision of "
        f"{approval.decided_on:%Y-%m-%d} in the same case." in text
    )
    assert "Amount granted 400 000 kr" in text
    assert _stored_pdf(approval) != _stored_pdf(correction)


def test_swedish_letter_is_in_swedish_with_the_same_number_and_amounts(
    call, presenter, decider, django_capture_on_commit_callbacks
):
    def letter(language):
        # A call of its own each: putting one in review closes its call.
        same_call = factories.CallFactory(
            letter_wording_sv=call.letter_wording_sv, letter_wording_en=call.letter_wording_en
        )
        decision = _confirmed(
            django_capture_on_commit_callbacks,
            _application(same_call, presenter, language=language),
            presenter,
            decider,
            granted_amount=450_000,
        )
        return decision, _text(_stored_pdf(decision))

    swedish, swedish_text = letter("sv")
    english, english_text = letter("en")

    assert swedish.language == "sv"
    assert swedish_text != english_text.replace(
        english.application.registration_number, swedish.application.registration_number
    )
    assert swedish.application.registration_number in swedish_text
    assert "450 000 kr" in swedish_text
    assert "500 000 kr" in swedish_text
    assert "Stödet lämnas som statligt stöd av mindre betydelse." in swedish_text
    assert "The grant is given as de minimis aid." not in swedish_text
    reader = PdfReader(io.BytesIO(_stored_pdf(swedish)))
    assert reader.trailer["/Root"]["/Lang"] == "sv"


# -- what the letter is -----------------------------------------------------------------------


def test_letter_declares_pdf_a_3a_in_its_xmp_metadata(approval):
    reader = PdfReader(io.BytesIO(_stored_pdf(approval)))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    ns = "{http://www.aiim.org/pdfa/ns/id/}"
    declared = {
        (element.get(f"{ns}part"), element.get(f"{ns}conformance"))
        # Our own PDF's metadata, not untrusted input.
        for element in ET.fromstring(xmp.decode()).iter(  # noqa: S314
            "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}Description"
        )
        if element.get(f"{ns}part")
    }

    assert declared == {("3", "A")}
    assert "/OutputIntents" in reader.trailer["/Root"]
    assert reader.metadata.title == f"Decision {approval.application.registration_number}"


def test_letter_is_tagged_for_accessibility_in_the_decisions_language(approval):
    root = PdfReader(io.BytesIO(_stored_pdf(approval))).trailer["/Root"]

    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"].value is True
    assert root["/Lang"] == "en"
    kinds = set()

    def walk(node):
        node = node.get_object()
        if hasattr(node, "get") and node.get("/S"):
            kinds.add(str(node["/S"]))
        children = node.get("/K") if hasattr(node, "get") else None
        for child in children if isinstance(children, list) else [children] if children else []:
            if hasattr(child, "get_object") or isinstance(child, dict):
                walk(child)

    walk(root["/StructTreeRoot"])
    assert {"/H1", "/H2", "/P", "/Table", "/TH", "/TD"} <= kinds


def test_every_font_in_the_letter_is_embedded(approval):
    reader = PdfReader(io.BytesIO(_stored_pdf(approval)))
    fonts = {}
    for page in reader.pages:
        for name, font in page["/Resources"]["/Font"].items():
            fonts[(page.page_number, name)] = font.get_object()

    assert fonts
    for font in fonts.values():
        if font["/Subtype"] == "/Type0":
            font = font["/DescendantFonts"][0].get_object()
        descriptor = font["/FontDescriptor"].get_object()
        assert {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor), font["/BaseFont"]


def test_attached_json_is_the_decision(approval, decider, presenter):
    reader = PdfReader(io.BytesIO(_stored_pdf(approval)))

    assert list(reader.attachments) == ["decision.json"]
    (content,) = reader.attachments["decision.json"]
    data = json.loads(content)
    assert data == {"decision_id": approval.pk, **approval.letter_data}
    assert data["decision_id"] == approval.pk
    assert data["registration_number"] == approval.application.registration_number
    assert data["granted_amount"] == 450_000
    assert data["requested_amount"] == 500_000
    assert data["outcome"] == "approved"
    assert data["decided_by"] == "Eva Lind" == decider.full_name
    assert data["presented_by"] == "Per Holm" == presenter.full_name
    assert data["organisation"]["orgnr"] == approval.application.organisation.orgnr
    assert data["decided_on"] == approval.decided_on.isoformat()
    # PDF/A-3 associates the file with the document.
    assert "/AF" in reader.trailer["/Root"]


# -- storage ----------------------------------------------------------------------------------


def test_letter_is_stored_with_the_sha256_and_size_of_its_bytes(approval):
    letter = DecisionLetter.objects.get(decision=approval)
    stored = _stored_pdf(approval)

    assert stored.startswith(b"%PDF-")
    assert hashlib.sha256(stored).hexdigest() == letter.sha256
    assert len(stored) == letter.size
    assert re.fullmatch(r"letters/[0-9a-f]{32}/[0-9a-f]{32}\.pdf", letter.file.name)
    assert default_storage.exists(letter.file.name)


def test_generating_again_keeps_the_one_letter(approval):
    letter = DecisionLetter.objects.get(decision=approval)
    files_before = default_storage.listdir(letter.file.name.rsplit("/", 2)[0])

    again = decision_letter_generate(approval.pk)
    once_more = decision_letter_generate(approval.pk)

    assert again.pk == once_more.pk == letter.pk
    assert DecisionLetter.objects.filter(decision=approval).count() == 1
    assert default_storage.listdir(letter.file.name.rsplit("/", 2)[0]) == files_before
    assert DecisionRelease.objects.filter(decision=approval).count() == 1


def test_no_letter_is_made_for_a_decision_not_yet_confirmed(call, presenter):
    decision = factories.proposed_decision(_application(call, presenter), by=presenter)

    assert decision_letter_generate(decision.pk) is None
    assert not DecisionLetter.objects.filter(decision=decision).exists()


def test_letter_of_a_call_that_holds_decisions_is_made_but_not_released(
    presenter, decider, django_capture_on_commit_callbacks
):
    call = factories.CallFactory(hold_decisions_for_release=True)
    decision = _confirmed(
        django_capture_on_commit_callbacks, _application(call, presenter), presenter, decider
    )

    assert DecisionLetter.objects.filter(decision=decision).exists()
    assert not DecisionRelease.objects.filter(decision=decision).exists()
    assert mail.outbox == []


def test_released_letter_is_announced_by_email_with_a_link_to_the_application(approval):
    number = approval.application.registration_number
    (message,) = mail.outbox

    assert message.subject == f"Decision on your application {number}: approved"
    assert "anna@example.se" in message.to
    url = "http://testserver" + reverse("applications:detail", args=[approval.application.pk])
    assert url in message.body
    assert f"has approved the application {number}" in message.body


# -- preview before proposing -----------------------------------------------------------------


def test_preview_of_an_unsaved_decision_shows_the_letter_with_a_placeholder_decision_maker(
    call, presenter
):
    application = _application(call, presenter)
    decision = Decision(
        application=application,
        outcome=DecisionOutcome.APPROVED,
        granted_amount=300_000,
        conditions="Report twice.",
        justification="Fits the call.",
        feedback="Good plan.",
        language=application.language,
        proposed_by=presenter,
    )

    pdf = render_letter_preview(decision)
    text = _text(pdf)

    assert "Preview: this is not a decision." in text
    assert "(decision maker) has made this decision. Per Holm presented the case." in text
    assert "Amount granted 300 000 kr" in text
    assert application.registration_number in text
    assert "Report twice." in text
    (content,) = PdfReader(io.BytesIO(pdf)).attachments["decision.json"]
    data = json.loads(content)
    assert data["preview"] is True
    assert data["decision_id"] is None
    assert data["decided_by"] == "(decision maker)"
    assert not Decision.objects.exists()
    assert not DecisionLetter.objects.exists()


def test_preview_of_a_proposed_decision_changes_nothing(call, presenter):
    application = _application(call, presenter, language="sv")
    decision = factories.proposed_decision(application, by=presenter, granted_amount=450_000)

    text = _text(render_letter_preview(decision))

    decision.refresh_from_db()
    assert decision.letter_data is None
    assert decision.decided_on is None
    assert not DecisionLetter.objects.exists()
    assert "450 000 kr" in text
    assert application.registration_number in text


# -- download ---------------------------------------------------------------------------------


def _url(decision) -> str:
    return reverse("applications:decision_letter", args=[decision.application_id, decision.pk])


def _content(response) -> bytes:
    return b"".join(response.streaming_content)


def test_applicant_downloads_the_released_letter(client, approval):
    applicant = factories.applicant_for(approval.application)
    client.force_login(applicant)

    response = client.get(_url(approval))

    assert response.status_code == 200
    assert _content(response) == _stored_pdf(approval)
    number = approval.application.registration_number
    assert response["Content-Disposition"] == f'attachment; filename="decision-{number}.pdf"'
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Length"] == str(approval.letter.size)


@pytest.mark.parametrize("role", ["programme_manager", "decision_maker"])
def test_agency_staff_download_the_letter(client, approval, role):
    client.force_login(getattr(factories, role)())

    response = client.get(_url(approval))

    assert response.status_code == 200
    assert _content(response) == _stored_pdf(approval)


def test_anonymous_user_is_sent_to_log_in(client, approval):
    response = client.get(_url(approval))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_applicant_of_another_organisation_gets_404(client, approval, other_applicant):
    client.force_login(other_applicant)

    assert client.get(_url(approval)).status_code == 404


def test_reviewer_of_the_application_gets_404(
    client, presenter, decider, django_capture_on_commit_callbacks
):
    call = factories.CallFactory()
    criterion = factories.CriterionFactory(call=call)
    (application,) = factories.applications_in_review(call, by=presenter)
    member = factories.PanelMemberFactory(call=call)
    factories.declare_none(member, [application])
    assignment = assignment_add(member=member, application=application, by=presenter)
    factories.submit_review(assignment, {criterion: 5})
    application_complete_review(application=application, by=presenter)
    decision = _confirmed(django_capture_on_commit_callbacks, application, presenter, decider)
    client.force_login(member.user)

    assert client.get(_url(decision)).status_code == 404


def test_applicant_gets_404_while_the_call_holds_the_decision(
    client, presenter, decider, django_capture_on_commit_callbacks
):
    call = factories.CallFactory(hold_decisions_for_release=True)
    decision = _confirmed(
        django_capture_on_commit_callbacks, _application(call, presenter), presenter, decider
    )
    applicant = factories.applicant_for(decision.application)
    client.force_login(applicant)

    assert client.get(_url(decision)).status_code == 404
    decision_release(decision=decision, by=presenter)
    assert client.get(_url(decision)).status_code == 200


def test_decision_of_another_application_is_not_found_under_this_one(client, approval, presenter):
    other = _application(factories.CallFactory(), presenter)
    client.force_login(presenter)
    url = reverse("applications:decision_letter", args=[other.pk, approval.pk])

    assert client.get(url).status_code == 404


def test_letter_not_yet_made_is_not_found(client, call, presenter, decider, settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}
    }
    decision = factories.proposed_decision(_application(call, presenter), by=presenter)
    decision = decision_confirm(decision=decision, by=decider)
    client.force_login(presenter)

    assert client.get(_url(decision)).status_code == 404


def test_letter_download_is_get_only_for_the_applicant_after_release(client, approval):
    client.force_login(factories.applicant_for(approval.application))

    assert client.post(_url(approval)).status_code == 405
