"""Every page in the screenshot list renders at phone and desktop width (pictures to a temp folder).

The committed pictures in ``docs/screenshots/`` come from ``python -m tests.e2e.screenshots``.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from .screenshots import SHOTS, VIEWPORTS, capture


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path.name} is not a PNG"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def test_screenshots_of_every_page_at_phone_and_desktop_width(browser: Any, live_server: Any, tmp_path: Path) -> None:
    written = capture(browser, live_server.url, tmp_path)
    assert len(written) == len(SHOTS) * len(VIEWPORTS)
    for path in written:
        width, height = png_size(path)
        viewport = VIEWPORTS[path.stem.rsplit("-", 1)[1]]
        assert width == viewport["width"], f"{path.name}: the page is wider than the screen ({width}px)"
        assert height >= viewport["height"] // 2


def test_committed_screenshots_cover_the_list() -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    missing = [f"{s.name}-{v}.png" for s in SHOTS for v in VIEWPORTS if not (docs / f"{s.name}-{v}.png").exists()]
    assert not missing, f"run `python -m tests.e2e.screenshots` to add: {missing}"
