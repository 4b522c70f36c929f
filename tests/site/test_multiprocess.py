"""A whole case through a real deployment: two gunicorn servers, a task worker, PostgreSQL and
a local S3 server (tests/deployment.py), driven over HTTP like browsers do.

The applicant submits on server A; a programme manager checks eligibility and starts review; two
reviewers declare no conflict of interest (on B) and, after automatic assignment, one reviews;
the manager completes review and proposes approval; a decision maker confirms on server B; the
worker makes the letter and stores it in S3; the applicant downloads it from server B (with the
session made on A: sessions live in the database) and the bytes are those stored, by SHA-256.

The data is seeded inside the deployment (``Deployment.call`` runs the functions at the end
of this module in a process with the deployment's own settings and database); everything else
goes over HTTP with sessions, CSRF tokens and, for staff and reviewers, the TOTP step.
"""

import hashlib
import re
import time

import pytest
from django.db import connection
from django.urls import reverse

from tests.clamav import require_clamd
from tests.deployment import Browser, Deployment

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.multiprocess,
    pytest.mark.clamav,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL (set DATABASE_URL)"
    ),
    pytest.mark.timeout(900),
]

PASSWORD = "correct horse battery"
PLAN = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
GRANTED = 450_000


def _login(browser: Browser, person: dict) -> None:
    response = browser.login(person["email"], PASSWORD, totp_key=person.get("totp_key"))
    assert response.status_code == 302


def _redirected_to(response, path: str) -> None:
    assert response.status_code == 302, response.text[:2000]
    assert response.headers["Location"].split("?")[0] == path, response.headers["Location"]


def test_a_case_runs_from_submit_to_letter_across_two_servers_and_a_worker():
    require_clamd()  # the deployment scans attachments with the test clamd
    # Not a fixture: an exception must pass through the ``with`` for the logs to be kept, and
    # leaving it checks that every process stopped cleanly.
    with Deployment(web_servers=2, web_workers=2, web_threads=2, task_workers=1) as deployment:
        _run_case(deployment)


def _run_case(deployment: Deployment) -> None:
    server_a, server_b = deployment.urls
    seed = deployment.call("tests.site.test_multiprocess:seed_case")
    pk, slug = seed["application_id"], seed["call_slug"]
    people = seed["people"]

    # The applicant adds a file and submits, on server A.
    applicant = Browser(server_a)
    _login(applicant, people["applicant"])
    attachments_part = reverse("applications:edit_part", args=[pk, "attachments"])
    response = applicant.submit_form(
        attachments_part,
        reverse("applications:attachment_upload", args=[pk]),
        {},
        files={"file": ("plan.pdf", PLAN, "application/pdf")},
    )
    _redirected_to(response, attachments_part)
    response = applicant.submit_form(
        reverse("applications:preview", args=[pk]),
        reverse("applications:submit", args=[pk]),
        {"declaration": "on"},
    )
    _redirected_to(response, reverse("applications:submitted", args=[pk]))
    page = applicant.get(response.headers["Location"])
    assert page.status_code == 200
    number = re.search(r"\b\d{4}-\d{5}\b", page.text).group(0)

    # The call closes (its closing time is moved, not the clock).
    deployment.call("tests.site.test_multiprocess:close_call", slug=slug)

    # The programme manager, on A: eligibility checklist, then review starts.
    manager = Browser(server_a)
    _login(manager, people["manager"])
    detail = reverse("applications:manage_detail", args=[pk])
    response = manager.submit_form(
        detail,
        reverse("applications:manage_eligibility", args=[pk]),
        {f"eligibility-{item}": "on" for item in seed["eligibility_items"]},
    )
    _redirected_to(response, detail)
    response = manager.submit_form(
        detail, reverse("applications:manage_start_review", args=[pk]), {}
    )
    _redirected_to(response, detail)

    # Both reviewers declare no conflict of interest, on B; the manager assigns automatically.
    reviewers = []
    for person in people["reviewers"]:
        reviewer = Browser(server_b)
        _login(reviewer, person)
        declare = reverse("reviews:declare", args=[slug])
        response = reviewer.submit_form(declare, declare, {f"a{pk}-decision": "none"})
        _redirected_to(response, reverse("reviews:dashboard"))
        reviewers.append(reviewer)
    assignments = reverse("reviews:assignments", args=[slug])
    response = manager.submit_form(
        assignments, reverse("reviews:assignments_auto", args=[slug]), {}
    )
    _redirected_to(response, assignments)

    # One reviewer reads the applicant's file (uploaded on A) and scores and submits, on B.
    review = reverse("reviews:review", args=[pk])
    page = reviewers[0].get(review)
    (file_path,) = set(re.findall(rf"/review/applications/{pk}/attachments/\d+/", page.text))
    assert reviewers[0].get(file_path).content == PLAN
    response = reviewers[0].submit_form(
        review,
        review,
        {
            f"score_{seed['criterion_id']}": "6",
            "comment_for_applicant": "A clear plan with a realistic budget.",
            "internal_comment": "Strong support from management.",
            "recommendation": "fund",
            "action": "submit",
            # The draft's version as the page showed it (a save from an older copy is refused).
            "edit_version": re.search(r'name="edit_version" value="(\d+)"', page.text).group(1),
        },
    )
    _redirected_to(response, review)

    # The manager completes review (one of two reviews is the call's minimum) and proposes.
    reviews_page = reverse("reviews:application_reviews", args=[pk])
    response = manager.submit_form(reviews_page, reverse("reviews:review_complete", args=[pk]), {})
    _redirected_to(response, reviews_page)
    propose = reverse("applications:decision_propose", args=[pk])
    response = manager.submit_form(
        propose,
        propose,
        {
            "outcome": "approved",
            "granted_amount": str(GRANTED),
            "conditions": "Report the trial's figures by the end of 2027.",
            "justification": "Ranked above the funding line.",
            "feedback": "A clear plan with a realistic budget.",
            "reason_code": "",
        },
    )
    _redirected_to(response, detail)

    # A decision maker confirms on server B.
    decider = Browser(server_b)
    _login(decider, people["decision_maker"])
    decisions = decider.get(reverse("applications:decisions"))
    (decision_pk,) = {
        int(found) for found in re.findall(r"/manage/decisions/(\d+)/confirm/", decisions.text)
    }
    response = decider.submit_form(
        reverse("applications:decisions"),
        reverse("applications:decision_confirm", args=[decision_pk]),
        {},
    )
    _redirected_to(response, reverse("applications:decisions"))
    confirmed = decider.get(response.headers["Location"])
    assert f"The decision for {number} is confirmed." in confirmed.text

    # The worker makes the letter; the applicant sees it on B, with the session made on A.
    letter_path = reverse("applications:decision_letter", args=[pk, decision_pk])
    deadline = time.monotonic() + 120
    while True:
        page = applicant.get(reverse("applications:detail", args=[pk]), server=server_b)
        assert page.status_code == 200
        if letter_path in page.text:
            break
        assert time.monotonic() < deadline, "the worker made no letter within two minutes"
        time.sleep(0.5)
    download = applicant.get(letter_path, server=server_b)

    assert download.status_code == 200
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.content.startswith(b"%PDF-")
    facts = deployment.call("tests.site.test_multiprocess:case_facts", application_id=pk)
    assert hashlib.sha256(download.content).hexdigest() == facts["letter"]["sha256"]
    assert len(download.content) == facts["letter"]["size"]
    in_bucket = deployment.s3.client().get_object(
        Bucket=deployment.bucket, Key=facts["letter"]["key"]
    )
    assert in_bucket["Body"].read() == download.content
    assert facts["state"] == "approved"
    assert facts["registration_number"] == number
    assert facts["transitions"] == [
        ["submit", "draft", "submitted"],
        ["start_review", "submitted", "in_review"],
        ["complete_review", "in_review", "reviewed"],
        ["approve", "reviewed", "approved"],
    ]
    assert facts["tasks"] == {"SUCCESSFUL": facts["task_count"]}
    subjects = sorted(message["Subject"] for message in deployment.sent_mail())
    assert f"Application received: {number}" in subjects
    assert f"Decision on your application {number}: approved" in subjects
    # Every file went to the bucket: nothing on a web server's or the worker's own disk.
    assert deployment.local_files() == []


# -- run inside the deployment (Deployment.call), with its settings and database --------------


def seed_case() -> dict:
    """A call open for an hour with one criterion and a panel of two, one complete draft, and
    the people: an applicant, a programme manager, a decision maker and two reviewers (staff
    and reviewers with a confirmed TOTP device when two-factor authentication is installed)."""
    import datetime as dt

    from django.apps import apps
    from django.utils import timezone

    from applications.enums import EligibilityItem
    from tests import factories

    call = factories.CallFactory(
        slug="multiprocess",
        closes_at=timezone.now() + dt.timedelta(hours=1),
        reviewers_per_application=2,
        min_reviews=1,
        hold_decisions_for_release=False,
    )
    criterion = factories.CriterionFactory(call=call, name_en="Relevance")
    application = factories.ApplicationFactory(call=call, language="en", title="Hub trial")
    applicant = factories.applicant_for(application, is_admin=True, is_signatory=True)
    manager = factories.programme_manager(language="en", full_name="Petra Presenter")
    decision_maker = factories.decision_maker(language="en", full_name="Dag Decider")
    reviewers = [
        factories.PanelMemberFactory(call=call, user=factories.UserFactory(language="en")).user
        for _ in range(2)
    ]
    applicant.language = "en"
    applicant.save(update_fields=["language"])

    def person(user, *, second_factor: bool) -> dict:
        data = {"email": user.email}
        if second_factor and apps.is_installed("django_otp.plugins.otp_totp"):
            from django_otp.plugins.otp_totp.models import TOTPDevice

            device = TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)
            data["totp_key"] = device.key
        return data

    return {
        "application_id": application.pk,
        "call_slug": call.slug,
        "criterion_id": criterion.pk,
        "eligibility_items": list(EligibilityItem.values),
        "people": {
            "applicant": person(applicant, second_factor=False),
            "manager": person(manager, second_factor=True),
            "decision_maker": person(decision_maker, second_factor=True),
            "reviewers": [person(user, second_factor=True) for user in reviewers],
        },
    }


def close_call(slug: str) -> None:
    import datetime as dt

    from django.utils import timezone

    from grants.models import Call

    Call.objects.filter(slug=slug).update(closes_at=timezone.now() - dt.timedelta(minutes=1))


def case_facts(application_id: int) -> dict:
    """What the database holds about the case: state, log, the letter, the tasks' outcomes."""
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from applications.models import Application, ApplicationTransition, DecisionLetter

    application = Application.objects.get(pk=application_id)
    letter = DecisionLetter.objects.get(decision__application=application)
    tasks = dict(
        DBTaskResult.objects.values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {
        "state": application.state,
        "registration_number": application.registration_number,
        "transitions": list(
            ApplicationTransition.objects.filter(application=application)
            .order_by("at", "pk")
            .values_list("name", "source", "target")
        ),
        "letter": {"sha256": letter.sha256, "size": letter.size, "key": letter.file.name},
        "tasks": tasks,
        "task_count": sum(tasks.values()),
    }
