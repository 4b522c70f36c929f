"""An applicant's whole journey in a real browser, from the call page to a submitted
application, with axe checking every page on the way and wrong input tried on purpose."""

import re

import pytest
from playwright.sync_api import expect

from applications.enums import ApplicationState, VerificationStatus
from applications.models import Application, Organisation, User
from applications.services.organisation_checks import organisation_verify
from grants.enums import OrganisationKind
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "ett långt och bra lösenord"


@pytest.fixture
def call():
    return factories.CallFactory(
        slug="samverket", title_sv="Samverket: pröva coworking", max_amount=600_000
    )


def _submit(page, name: str):
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()


def test_a_new_applicant_goes_from_the_call_page_to_a_submitted_application(
    page, live_url, axe, call, mailoutbox, tmp_path, login
):
    # The public call page, in Swedish.
    page.goto(live_url("grants:call_detail", call.slug))
    expect(page.locator("h1")).to_have_text("Samverket: pröva coworking")
    axe(page)

    # Create an account.
    page.get_by_role("link", name="Skapa konto").last.click()
    axe(page)
    page.fill("#id_full_name", "Anna Andersson")
    page.fill("#id_email", "anna@ostersund.example.se")
    page.fill("#id_password1", PASSWORD)
    page.fill("#id_password2", PASSWORD)
    _submit(page, "Skapa konto")
    expect(page.locator("h1")).to_have_text("Titta i din e-post")
    axe(page)

    # The address is confirmed through the link in the email, then the person logs in.
    verification = next(m for m in mailoutbox if "/account/verify/" in m.body)
    token = re.search(r"/account/verify/([^/\s]+)/", verification.body).group(1)
    page.goto(live_url("applications:email_verify", token))
    axe(page)
    _submit(page, "Bekräfta min e-postadress")
    login(User.objects.get(email="anna@ostersund.example.se"), password=PASSWORD)

    # Register the organisation: a personal identity number is refused first.
    page.goto(live_url("applications:organisation_register"))
    axe(page)
    page.fill("#id_orgnr", "811228-9874")
    page.fill("#id_name", "Östersunds kommun")
    page.select_option("#id_kind", "municipality")
    page.select_option("#id_county", "Z")
    _submit(page, "Registrera organisationen")
    expect(page.locator(".error-summary")).to_contain_text("personnummer")
    axe(page)
    assert Organisation.objects.count() == 0
    page.fill("#id_orgnr", "2120002411")
    _submit(page, "Registrera organisationen")
    organisation = Organisation.objects.get()
    assert organisation.orgnr == "212000-2411"
    assert organisation.verification_status == VerificationStatus.PENDING
    axe(page)
    # The agency checks the organisation (its own pages are tested elsewhere); until then the
    # application could be drafted but not submitted.
    organisation_verify(
        organisation=organisation,
        by=factories.programme_manager(),
        verified_kind=OrganisationKind.MUNICIPALITY,
    )

    # Start an application from the call page.
    page.goto(live_url("grants:call_detail", call.slug))
    _submit(page, "Börja på en ansökan")
    application = Application.objects.get()
    # It lands on the task list: a row per part with its status in words.
    expect(page).to_have_url(re.compile(rf"/applications/{application.pk}/$"))
    expect(page.locator("#task-status-project")).to_have_text("Ej påbörjad")
    expect(page.locator("#task-status-section-1")).to_have_text("Ej påbörjad")
    expect(page.locator("#task-status-review")).to_have_text("Kan inte skickas in än")
    axe(page)

    # Each part on its own short page; "Spara och fortsätt" goes back to the task list.
    page.get_by_role("link", name="Om projektet").click()
    expect(page.locator("h1")).to_have_text("Om projektet")
    axe(page)
    page.fill("#id_title", "Hybridarbete i Östersund")
    page.fill("#id_summary", "Tjugo medarbetare prövar att arbeta från hubben.")
    page.select_option("#id_hub", str(call.hubs.get().pk))
    page.fill("#id_period_start", "2027-02-01")
    page.fill("#id_period_end", "2027-12-31")
    _submit(page, "Spara och fortsätt")
    expect(page.locator("#task-status-project")).to_have_text("Klar")

    page.get_by_role("link", name="Försöket").click()
    page.fill("#id_what_to_try", "Två dagar i veckan på Samverket Östersund.")
    page.fill("#id_participants", "20")
    _submit(page, "Spara och fortsätt")
    expect(page.locator("#task-status-section-1")).to_have_text("Påbörjad")  # one question left
    page.get_by_role("link", name="Försöket").click()
    page.fill("#id_expected_results", "Kortare pendling och nya samarbeten.")
    _submit(page, "Spara och fortsätt")
    expect(page.locator("#task-status-section-1")).to_have_text("Klar")

    page.get_by_role("link", name="Belopp och budget").click()
    page.fill("#id_requested_amount", "500000")
    page.select_option("#id_budget-0-category", "hub")
    page.fill("#id_budget-0-description", "Medlemskap i hubben")
    page.fill("#id_budget-0-amount", "300000")
    page.select_option("#id_budget-1-category", "staff")
    page.fill("#id_budget-1-description", "Projektledning")
    page.fill("#id_budget-1-amount", "100000")  # 100 000 short on purpose
    _submit(page, "Spara och fortsätt")
    expect(page.locator("#task-status-budget")).to_have_text("Påbörjad")

    # Check answers lists what stops submission; the budget does not add up yet, and its
    # link goes to the budget's page.
    page.get_by_role("link", name="Granska och skicka in").click()
    expect(page.locator("main")).to_contain_text("Budgetraderna blir sammanlagt 400")
    axe(page)
    page.locator(".error-summary").get_by_role("link", name=re.compile("Budgetraderna")).click()
    expect(page).to_have_url(re.compile(rf"/applications/{application.pk}/edit/budget/#budget$"))
    page.fill("#id_budget-1-amount", "200000")
    _submit(page, "Spara och fortsätt")
    expect(page.locator("#task-status-budget")).to_have_text("Klar")
    axe(page)

    # Attachments are their own part: a file that is not what its name says is refused, a
    # real PDF is kept.
    page.get_by_role("link", name="Bilagor").click()
    expect(page.locator("main")).not_to_contain_text("Spara formuläret ovan")
    fake = tmp_path / "budget.pdf"
    fake.write_bytes(b"MZ\x90\x00 this is a program, not a PDF")
    page.set_input_files("#id_file", str(fake))
    _submit(page, "Ladda upp")
    expect(page.locator("main")).to_contain_text("budget.pdf")
    assert not application.attachments.exists()
    pdf = tmp_path / "projektplan.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.set_input_files("#id_file", str(pdf))
    _submit(page, "Ladda upp")
    expect(page.get_by_role("link", name="projektplan.pdf")).to_be_visible()
    axe(page)
    page.get_by_role("link", name="Fortsätt till uppgiftslistan").click()
    # The contact person was filled in from the account when the draft was started.
    expect(page.locator("#task-status-contact")).to_have_text("Klar")
    expect(page.locator("#task-status-review")).to_have_text("Klar att skicka in")
    axe(page)

    # Check answers, the declaration, submit: the confirmation page has the number (the
    # hash is in the receipt, not on the screen).
    page.goto(live_url("applications:preview", application.pk))
    axe(page)
    page.get_by_label("Jag intygar att uppgifterna är riktiga").check()
    _submit(page, "Skicka in ansökan")
    application.refresh_from_db()
    assert application.state == ApplicationState.SUBMITTED
    assert re.fullmatch(r"\d{4}-00001", application.registration_number)
    version = application.versions.get()
    expect(page.locator(".confirmation-panel__number")).to_have_text(
        application.registration_number
    )
    expect(page.locator("main")).not_to_contain_text(version.sha256)
    axe(page)

    # The receipt went out in Swedish with the number and the hash.
    receipt = next(m for m in mailoutbox if application.registration_number in m.subject)
    assert version.sha256 in receipt.body
    assert "anna@ostersund.example.se" in receipt.to

    # The dashboard shows the submitted application.
    page.goto(live_url("applications:dashboard"))
    expect(page.locator("main")).to_contain_text(application.registration_number)
    expect(page.locator("main")).to_contain_text("Inskickad")
    axe(page)
