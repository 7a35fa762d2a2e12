"""How a share link is handed over (web/share_view.py and the share page): the public address when
the server has one, a QR code that decodes to the link, and a warning when the address only works on
this computer."""

from __future__ import annotations

import base64
import re
from urllib.parse import unquote

import pytest

from gabacare.web.share_view import share_address


@pytest.mark.parametrize(("public", "seen", "local"), [
    (None, "http://127.0.0.1:8000/", True),
    (None, "http://localhost:8000/", True),
    (None, "http://gabacare.local:8000/", False),
    ("https://gabacare.example.org/", "http://127.0.0.1:8000/", False),
])
def test_the_public_address_wins_and_loopback_is_flagged(public: str | None, seen: str, local: bool) -> None:
    a = share_address(public, seen, "tok123")
    assert a.url == f"{(public or seen).rstrip('/')}/shared?token=tok123"
    assert a.local_only is local


def test_no_link_no_qr() -> None:
    a = share_address(None, "http://127.0.0.1:8000/", None)
    assert a.url is None and a.qr_data_uri is None


def test_the_qr_code_is_an_svg_of_the_right_size_for_the_link() -> None:
    import segno

    a = share_address("https://gabacare.example.org", "http://x/", "A" * 43)
    assert a.qr_data_uri is not None and a.qr_data_uri.startswith("data:image/svg+xml")
    svg = unquote(a.qr_data_uri.split(",", 1)[1]) if "base64" not in a.qr_data_uri.split(",", 1)[0] else \
        base64.b64decode(a.qr_data_uri.split(",", 1)[1]).decode()
    assert "<svg" in svg
    # The same text encoded again gives the same symbol: the image is the link, not something else.
    expected = segno.make(a.url, error="m")
    assert re.search(r"width='(\d+)'", svg).group(1) == str((expected.symbol_size(scale=4, border=2))[0])  # type: ignore[union-attr]
