"""A background job's page in a real browser: job.js follows the progress while the job runs,
and the page shows the result once it has finished; axe on the page."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from applications.enums import JobKind, JobState
from applications.models import BackgroundJob
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_job_page_follows_the_progress_and_shows_the_result(page, live_url, login, axe):
    decider = factories.decision_maker(language="en")
    job = BackgroundJob.objects.create(
        kind=JobKind.BATCH_CONFIRMATION,
        key="confirm:browser",
        started_by=decider,
        state=JobState.RUNNING,
        total=500,
        done=12,
    )
    login(decider)
    page.goto(live_url("applications:job_detail", job.pk))

    expect(page.locator("[data-job-text]")).to_have_text("12 of 500")
    expect(page.locator("progress")).to_have_attribute("value", "12")
    expect(page.get_by_role("link", name="Refresh")).to_be_visible()
    axe(page)

    BackgroundJob.objects.filter(pk=job.pk).update(done=250)
    expect(page.locator("[data-job-text]")).to_have_text("250 of 500", timeout=10_000)

    items = {
        "1": {"number": "2026-00001", "application": None, "outcome": "confirmed", "reason": ""}
    }
    BackgroundJob.objects.filter(pk=job.pk).update(
        done=500,
        state=JobState.DONE,
        finished_at=timezone.now(),
        result={"items": items, "counts": {"confirmed": 1, "skipped": 0, "refused": 0}},
    )
    # Finished: the script reloads the page, which shows the result and polls no more.
    expect(page.get_by_text("1 decision confirmed")).to_be_visible(timeout=10_000)
    expect(page.locator("[data-job-state]")).to_have_text("State: Done")
    expect(page.get_by_role("link", name="Refresh")).to_have_count(0)
    axe(page)
