"""Only a file the malware check found clean is handed out, to staff, reviewers and the
applicant alike; a pending one gets "being checked", a refused one "refused". The applicant
sees each file's status on their pages."""

import pytest
from django.urls import reverse

from applications.enums import ScanStatus
from applications.services.transitions import application_submit
from tests import factories
from tests.applications.services.test_scanning import add, docx, infected_docx

pytestmark = [pytest.mark.django_db, pytest.mark.clamav]

BEING_CHECKED = (
    "The file “plan.docx” is being checked for malware. It can be opened once the check is "
    "done; try again in a few minutes."
)
REFUSED = (
    "The file “plan.docx” was refused: the malware check found harmful content in it. "
    "It cannot be opened."
)


@pytest.fixture
def applicant(application):
    return factories.applicant_for(application, user__language="en")


@pytest.fixture
def programme_manager():
    return factories.programme_manager(language="en")


def download_url(attachment) -> str:
    return reverse(
        "applications:attachment_download", args=[attachment.application_id, attachment.pk]
    )


def submitted_with(application, applicant, content, callbacks, *, scan: bool):
    with callbacks(execute=scan):
        attachment = add(application, applicant, content)
    application_submit(application=application, by=applicant)
    attachment.refresh_from_db()
    return attachment


def test_staff_get_being_checked_for_a_pending_file(
    clamd, client, application, applicant, programme_manager, django_capture_on_commit_callbacks
):
    attachment = submitted_with(
        application, applicant, docx(), django_capture_on_commit_callbacks, scan=False
    )
    assert attachment.scan_status == ScanStatus.PENDING
    client.force_login(programme_manager)

    response = client.get(download_url(attachment))

    assert response.status_code == 409
    assert BEING_CHECKED in response.content.decode()
    assert "Content-Disposition" not in response
    assert response["Cache-Control"] == "private, no-store"


def test_staff_get_refused_for_a_file_with_malware(
    clamd, client, application, applicant, programme_manager, django_capture_on_commit_callbacks
):
    attachment = submitted_with(
        application, applicant, infected_docx(), django_capture_on_commit_callbacks, scan=True
    )
    assert attachment.scan_status == ScanStatus.REFUSED
    client.force_login(programme_manager)

    response = client.get(download_url(attachment))

    assert response.status_code == 409
    assert REFUSED in response.content.decode()
    assert b"EICAR" not in response.content


def test_staff_download_a_clean_file(
    clamd, client, application, applicant, programme_manager, django_capture_on_commit_callbacks
):
    content = docx()
    attachment = submitted_with(
        application, applicant, content, django_capture_on_commit_callbacks, scan=True
    )
    assert attachment.scan_status == ScanStatus.CLEAN
    client.force_login(programme_manager)

    response = client.get(download_url(attachment))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content


def test_the_applicant_cannot_download_their_refused_file_either(
    clamd, client, application, applicant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        attachment = add(application, applicant, infected_docx())
    client.force_login(applicant)

    response = client.get(download_url(attachment))

    assert response.status_code == 409
    assert REFUSED in response.content.decode()


def test_the_applicant_sees_each_files_status_on_the_edit_and_case_pages(
    clamd, client, application, applicant, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks():
        add(application, applicant, docx(), name="waiting.docx")
    with django_capture_on_commit_callbacks(execute=True):
        add(application, applicant, docx(), name="fine.docx")
        add(application, applicant, infected_docx(), name="bad.docx")
    client.force_login(applicant)

    for page in ("applications:edit", "applications:detail"):
        html = client.get(reverse(page, args=[application.pk])).content.decode()
        assert '<span class="tag tag--scan-pending">Being checked for malware</span>' in html
        assert '<span class="tag tag--scan-clean">Checked</span>' in html
        assert '<span class="tag tag--scan-refused">Refused: malware found</span>' in html


def test_the_applicant_sees_not_scanned_when_no_scanner_is_configured(
    settings, client, application, applicant
):
    settings.CLAMAV_ENABLED = False
    add(application, applicant, docx())
    client.force_login(applicant)

    html = client.get(reverse("applications:edit", args=[application.pk])).content.decode()

    assert '<span class="tag tag--scan-clean">Not scanned: no scanner configured</span>' in html


def test_the_being_checked_page_is_in_swedish_for_a_swedish_reader(
    clamd, client, application, applicant, django_capture_on_commit_callbacks
):
    applicant.language = "sv"
    applicant.save()
    with django_capture_on_commit_callbacks():
        attachment = add(application, applicant, docx())
    client.force_login(applicant)

    response = client.get(download_url(attachment))

    assert response.status_code == 409
    assert "Filen ”plan.docx” kontrolleras mot skadlig kod." in response.content.decode()
