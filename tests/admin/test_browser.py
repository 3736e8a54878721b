"""The operator panel in a real browser: headless Chromium (Debian's package, driven by
Playwright) against a live server. Screenshots go to ``var/artifacts/``.

Outside CI the tests skip when ``/usr/bin/chromium`` is missing; under ``CI=true`` that is a
failure (``.ci/run`` installs the package)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Browser, Page, expect, sync_playwright

from accounts.services import operators_bootstrap
from billing.services import plans_seed
from tests.admin.history import seed_history
from tests.factories import DEFAULT_PASSWORD, UserFactory
from uploads.models import Job, JobStatus

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
]
ARTIFACTS = Path(settings.BASE_DIR) / "var" / "artifacts"

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API keeps an event loop in the test thread, which Django's ORM takes
    # for async code. The test's own ORM calls are plain synchronous code between browser
    # steps (the live server answers from its own thread), so allow them for these tests.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.csp_violations = []  # type: ignore[attr-defined]
    page.on(
        "console",
        lambda message: (
            "Content Security Policy" in message.text and page.csp_violations.append(message.text)
        ),  # type: ignore[attr-defined]
    )
    yield page
    context.close()


def _log_in(page: Page, base_url: str, email: str) -> None:
    page.goto(f"{base_url}/admin/login/?next=/admin/")
    page.fill("#id_username", email)
    page.fill("#id_password", DEFAULT_PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#site-name")).to_be_visible()
    expect(page).to_have_url(f"{base_url}/admin/")


def _screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)


@pytest.fixture
def seeded(live_server):
    plans_seed()
    history = seed_history()
    UserFactory(email="root@example.com", is_staff=True, is_superuser=True)
    UserFactory(email="viewer@example.com")
    operators_bootstrap(admin_email="", viewer_email="viewer@example.com")
    return history


def test_an_operator_retries_a_failed_job_from_the_filtered_list(page, live_server, seeded):
    _log_in(page, live_server.url, "root@example.com")

    page.click("a[href='/admin/uploads/job/']")
    page.click("#changelist-filter a[href='?status__exact=FAILED']")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    _screenshot(page, "admin-jobs-failed.png")
    row = rows.filter(has_text="Broken upload")
    row.locator("input.action-select").check()
    page.select_option("select[name=action]", "retry_jobs")
    page.click("button[name=index]")

    expect(page.locator(".messagelist")).to_contain_text("1 job(s) queued again.")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)  # still filtered by FAILED
    page.goto(f"{live_server.url}/admin/uploads/job/?status__exact=QUEUED")
    queued = page.locator("#result_list tbody tr").filter(has_text="Broken upload")
    expect(queued.locator("td.field-status")).to_have_text("Queued")
    _screenshot(page, "admin-jobs-after-retry.png")
    assert page.csp_violations == []  # type: ignore[attr-defined]
    job = Job.objects.get(pk=seeded.failed_today.pk)
    assert job.status == JobStatus.QUEUED


def test_an_operator_reads_the_stats_page_and_its_chart(page, live_server, seeded):
    _log_in(page, live_server.url, "root@example.com")

    page.click("#operations-module a")

    expect(page).to_have_url(f"{live_server.url}/admin/stats/")
    expect(page.locator("#stat-users")).to_have_text("8")  # 6 creators and 2 operators
    expect(page.locator("#stat-channels")).to_have_text("4")
    failed = page.locator("#jobs-by-status tr[data-status=FAILED] td")
    expect(failed).to_have_text(["FAILED", "1", re.compile(r"\d"), "2"])
    bars = page.locator("#jobs-chart rect.bar")
    expect(bars).to_have_count(6)
    box = page.locator("#jobs-chart").bounding_box()
    assert box is not None
    assert (box["width"] > 600, box["height"] > 200) == (True, True)  # drawn, not collapsed
    link = page.locator("#failed-jobs a", has_text="Broken upload")
    expect(link).to_have_attribute("href", f"/admin/uploads/job/{seeded.failed_today.pk}/change/")
    _screenshot(page, "admin-stats.png")
    assert page.csp_violations == []  # type: ignore[attr-defined]


def test_a_viewer_finds_no_way_to_change_a_job_or_run_an_action(page, live_server, seeded):
    _log_in(page, live_server.url, "viewer@example.com")

    page.goto(f"{live_server.url}/admin/uploads/job/?status__exact=FAILED")
    expect(page.locator("#result_list tbody tr")).to_have_count(2)
    expect(page.locator("select[name=action]")).to_have_count(0)
    expect(page.locator("input.action-select")).to_have_count(0)
    page.locator("#result_list tbody tr a").first.click()
    expect(page.locator("h1")).to_contain_text("View job")
    expect(
        page.locator("input[type=submit], button[type=submit]").filter(has_text="Save")
    ).to_have_count(0)
    expect(page.locator("a.deletelink")).to_have_count(0)
    _screenshot(page, "admin-job-viewer.png")
    page.goto(f"{live_server.url}/admin/accounts/user/")
    expect(page.locator("input[name$=is_active]")).to_have_count(0)
    expect(page.locator("a.addlink")).to_have_count(0)
    assert page.csp_violations == []  # type: ignore[attr-defined]
    assert Job.objects.filter(status=JobStatus.FAILED).count() == 2
