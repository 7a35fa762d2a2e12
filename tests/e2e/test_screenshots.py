"""Every page in the screenshot list renders at phone and desktop width, no wider than the screen.

The committed pictures in ``docs/screenshots/`` come from ``python -m tests.e2e.screenshots``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .screenshots import SHOTS, VIEWPORTS, visit


def test_every_screenshot_page_fits_the_phone_and_desktop_width(browser: Any, live_server: Any) -> None:
    # What a full-page picture would show without taking one (the pictures themselves come from
    # ``python -m tests.e2e.screenshots``): no page is wider than the screen, and none is blank.
    seen = []
    for shot, vp_name, page in visit(browser, live_server.url):
        viewport = VIEWPORTS[vp_name]
        width, height = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.scrollHeight]")
        assert width <= viewport["width"], f"{shot.name} at {vp_name} width: the page is wider than the screen ({width}px)"
        assert height >= viewport["height"] // 2, f"{shot.name} at {vp_name} width: {height}px tall"
        seen.append((shot.name, vp_name))
    assert len(seen) == len(SHOTS) * len(VIEWPORTS)


def test_committed_screenshots_cover_the_list() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    missing = [f"{s.name}-{v}.png" for s in SHOTS for v in VIEWPORTS if not (docs / f"{s.name}-{v}.png").exists()]
    assert not missing, f"run `python -m tests.e2e.screenshots` to add: {missing}"
