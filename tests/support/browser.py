"""Debian's Chromium driven by Playwright (no browser download), as MACHINE-NOTES describes."""

from __future__ import annotations

import shutil
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@contextmanager
def browser_page(locale: str = "zh-CN"):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 800})
            yield context.new_page()
        finally:
            browser.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


def sign_in(page, url: str, user: str, password: str) -> None:
    """Sign in on the hub's login page as a person does."""
    page.goto(url + "hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", password)
    page.click("#login_submit")
    page.wait_for_load_state()


def fill_registration(page, gender: str, department: str = "信息中心", title: str = "engineer", **fields: str) -> None:
    """Fill the registration form as a person does: the text fields given (id_number, mobile,
    email, ...; the others as the page shows them), gender, department, position, title, consent."""
    for field, value in fields.items():
        page.fill(f"#f-{field}", value)
    page.check(f'input[name="gender"][value="{gender}"]')
    page.select_option("#f-department", department)
    page.select_option("#f-position", "staff")
    page.select_option("#f-title", title)
    page.check('input[name="consent"]')
