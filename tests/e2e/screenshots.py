"""Screenshots of the main pages at phone (390×844) and desktop (1280×800) widths.

``SHOTS`` lists the pages: a name, a path and the steps that fill the form (fixed dates, so the
pictures do not change from day to day). To add a page, append a :class:`Shot`.

Write the committed pictures to ``docs/screenshots/`` with::

    .venv/bin/python -m tests.e2e.screenshots            # starts its own server and Chromium

The e2e test ``test_screenshots.py`` opens the same pages on every run (no pictures: it checks that none is wider
than the screen).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}
DOCS_DIR = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _submit(page: Any, button: str) -> None:
    page.get_by_role("button", name=button).click()
    page.locator("#result article, #result [role=alert]").first.wait_for()


def _titrate(page: Any) -> None:
    page.get_by_label("What is it for?").select_option("postherpetic-neuralgia")
    page.get_by_label("Daily target (mg)").fill("1800")
    page.get_by_label("First day").fill("2026-03-02")
    _submit(page, "Make the plan")


def _taper(page: Any) -> None:
    page.get_by_label("Current regimen").fill("600 mg TID")
    page.get_by_label("First reduced day").fill("2026-03-02")
    _submit(page, "Make the plan")


def _kidneys(page: Any) -> None:
    page.get_by_label("Age (years)").fill("78")
    page.get_by_label("Weight (kg)").fill("64")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Serum creatinine").fill("1.3")
    _submit(page, "Show the range")


def _symptoms(page: Any) -> None:
    page.get_by_label("Your symptoms").fill("dizzy\nswollen lips")
    _submit(page, "Check symptoms")


def _interactions(page: Any) -> None:
    page.get_by_label("Medicines and drinks").fill("Xanax, tramadol, beer, Maalox")
    page.get_by_label("Age (years)").fill("70")
    _submit(page, "Check interactions")


def _check(page: Any) -> None:
    page.get_by_label("Regimen").fill("1200 mg TID")
    page.get_by_label("Creatinine clearance (mL/min)").fill("40")
    _submit(page, "Check")


def _missed(page: Any) -> None:
    page.get_by_label("Your dose times").fill("08:00, 14:00, 21:00")
    page.get_by_label("Missed dose time").fill("14:00")
    page.get_by_label("Time now").fill("16:30")
    _submit(page, "What should I do?")


def _ask_with_emergency(page: Any) -> None:
    page.get_by_label("Search the guide").fill("my lips are swelling, can I still take gabapentin?")
    page.get_by_label("Search the guide").press("Enter")
    page.get_by_role("alert").first.wait_for()


def _wait_for_charts(page: Any) -> None:
    for img in page.locator("img").all():
        img.scroll_into_view_if_needed()
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=img.element_handle())
    page.evaluate("window.scrollTo(0, 0)")


@dataclass(frozen=True)
class Shot:
    """One page to photograph: ``name`` becomes ``<name>-phone.png`` and ``<name>-desktop.png``."""

    name: str
    path: str
    fill: Callable[[Any], None] | None = None
    full_page: bool = field(default=True)
    signed_in: bool = False  # as the demo account (the server's database holds the demo journal)


SHOTS: tuple[Shot, ...] = (
    Shot("home", "/"),
    Shot("titrate", "/plan/titrate", _titrate),
    Shot("taper", "/plan/taper", _taper),
    Shot("kidneys", "/plan/kidneys", _kidneys),
    Shot("check", "/plan/check", _check),
    Shot("interactions", "/plan/interactions", _interactions),
    Shot("symptoms", "/symptoms", _symptoms),
    Shot("missed", "/plan/missed", _missed),
    Shot("guide", "/guide"),
    Shot("guide-topic", "/guide/stopping"),
    Shot("compare", "/compare?indication=spasticity"),
    Shot("search", "/", _ask_with_emergency),
    Shot("sign-in", "/account/sign-in"),
    Shot("journal-today", "/patients/1/today", signed_in=True),
    Shot("journal-log", "/patients/1/log", signed_in=True),
    Shot("journal-plan", "/patients/1/plan", signed_in=True),
    Shot("journal-trends", "/patients/1/trends", _wait_for_charts, signed_in=True),
    Shot("journal-levels", "/patients/1/levels", signed_in=True),
)


def sign_in_as_demo(page: Any) -> None:
    """Sign in with the demo account that ``gabacare demo-seed`` creates."""
    from gabacare.web.demo import DEMO_EMAIL, DEMO_PASSWORD

    page.goto("/account/sign-in")
    page.get_by_label("E-mail address").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/patients")


def demo_server_env(directory: Path) -> dict[str, str]:
    """Seed the demo journal into a database in ``directory``; the environment that serves it."""
    from gabacare.web.demo import seed_demo

    url = f"sqlite:///{directory / 'demo-journal.sqlite3'}"
    seed_demo(url)
    return {"GABACARE_DB": url}


def visit(browser: Any, base_url: str, shots: tuple[Shot, ...] = SHOTS) -> Iterator[tuple[Shot, str, Any]]:
    """Open every shot at both widths, filled in and with nothing focused; yields (shot, width name, page)."""
    for vp_name, viewport in VIEWPORTS.items():
        context = browser.new_context(base_url=base_url, viewport=viewport, device_scale_factor=1, locale="en-GB",
                                      timezone_id="UTC", color_scheme="light", reduced_motion="reduce")
        try:
            signed_in = False
            for shot in sorted(shots, key=lambda x: x.signed_in):  # anonymous pages first, then sign in once
                if shot.signed_in and not signed_in:
                    first = context.new_page()
                    sign_in_as_demo(first)
                    first.close()
                    signed_in = True
                page = context.new_page()
                page.goto(shot.path)
                if shot.fill is not None:
                    shot.fill(page)
                page.evaluate("document.activeElement && document.activeElement.blur()")
                yield shot, vp_name, page
                page.close()
        finally:
            context.close()


def capture(browser: Any, base_url: str, out_dir: Path, shots: tuple[Shot, ...] = SHOTS) -> list[Path]:
    """Photograph every shot at both widths into ``out_dir``; returns the files written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for shot, vp_name, page in visit(browser, base_url, shots):
        target = out_dir / f"{shot.name}-{vp_name}.png"
        page.screenshot(path=str(target), full_page=shot.full_page, animations="disabled", caret="hide")
        written.append(target)
    return written


def main() -> int:
    import tempfile

    from playwright.sync_api import sync_playwright
    from tests.e2e.harness import LiveServer, launch_chromium

    env = demo_server_env(Path(tempfile.mkdtemp(prefix="gabacare-shots-")))
    with LiveServer(env=env) as server, sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            for path in capture(browser, server.url, DOCS_DIR):
                print(path.relative_to(DOCS_DIR.parents[1]))
        finally:
            browser.close()
    server.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
