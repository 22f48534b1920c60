"""Browser tests: Playwright driving Debian's Chromium (never a browser download) against the console and the three
services as real processes on the test Kafka and store. Screenshots go to .state/test-logs/screens/; with
UPDATE_SCREENSHOTS=1 also to docs/console/."""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.support.console_stack import ConsoleStack

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / ".state" / "test-logs" / "screens"
DOCS = ROOT / "docs" / "console"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
PHONE = {"width": 360, "height": 640}
DESKTOP = {"width": 1280, "height": 860}


@pytest.fixture(scope="package")
def ui(stack) -> ConsoleStack:
    """visits, issues, reporting and the console as processes, with databases of their own. Stopped after the
    browser tests: its issues service raises issues from every visit on the shared topic and publishes them, which
    tests counting a township's IssueRaised events must not see."""
    started = ConsoleStack().start()
    yield started
    started.stop()


@pytest.fixture(scope="module")
def chromium() -> Browser:
    # Per module, not per session: sync Playwright keeps an event loop running in this thread while it is open,
    # and pytest-asyncio cannot run the suite's async tests beside it.
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make install` installs Debian's chromium (never a test tool's download)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield browser
        browser.close()


class Person:
    """A signed-in browser tab of one person, on a phone or a desktop."""

    def __init__(self, page: Page, base: str):
        self.page, self.base = page, base

    def go(self, path: str) -> Page:
        self.page.goto(self.base + path)
        return self.page

    def shot(self, name: str) -> Path:
        SCREENS.mkdir(parents=True, exist_ok=True)
        path = SCREENS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        if os.environ.get("UPDATE_SCREENSHOTS") == "1":
            DOCS.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, DOCS / path.name)
        return path


@pytest.fixture
def person(ui, chromium):
    """person("dev-dacheng-clerk", phone=True) → a Person signed in with that development token."""
    contexts = []

    def sign_in(token: str, phone: bool = False) -> Person:
        context = chromium.new_context(viewport=PHONE if phone else DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai",
                                       is_mobile=phone, has_touch=phone)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        base = ui.url("console")
        page.goto(base + "/signin")
        page.fill("#token", token)
        page.click("button[type=submit]")
        page.wait_for_url(re.compile(re.escape(base) + r"/(mine)?(\?.*)?$"))  # a unit's handler lands on 我的工单
        return Person(page, base)

    yield sign_in
    for context in contexts:
        context.close()
