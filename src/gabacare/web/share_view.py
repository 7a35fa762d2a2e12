"""The address a share link or a calendar feed is handed out as: the public base URL when the server
has one (``GABACARE_PUBLIC_BASE_URL``), else the address this page was reached at, with a QR code for a
phone and a warning when that address only works on this computer.

Pure apart from drawing the QR code (segno, pure Python, no network).
"""

from __future__ import annotations

from urllib.parse import urlsplit

from gabacare._record import record

__all__ = ["FeedAddress", "ShareAddress", "feed_address", "share_address"]

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0"})


@record
class ShareAddress:
    """``url`` to give the clinician (None until a link is created), whether it only works on this
    computer, and the QR code of ``url`` as an ``data:image/svg+xml`` URI (None without a link)."""

    base: str
    url: str | None
    local_only: bool
    qr_data_uri: str | None


@record
class FeedAddress:
    """A calendar feed's ``url`` (the server's own scheme, https when it is public), the same address
    as ``webcal`` (which phones hand to their calendar app to subscribe), and the QR code of ``webcal``."""

    base: str
    url: str
    webcal: str
    local_only: bool
    qr_data_uri: str


def _base(public_base_url: str | None, request_base_url: str) -> tuple[str, bool]:
    base = (public_base_url or request_base_url).rstrip("/")
    host = (urlsplit(base).hostname or "").lower()
    return base, host in _LOOPBACK or host.endswith(".localhost")


def _qr(text: str) -> str:
    import segno

    return str(segno.make(text, error="m").svg_data_uri(scale=4, border=2, dark="#111", light="#fff"))


def share_address(public_base_url: str | None, request_base_url: str, token: str | None) -> ShareAddress:
    """Where a share link with ``token`` is reached from, and how to hand it over."""
    base, local_only = _base(public_base_url, request_base_url)
    if token is None:
        return ShareAddress(base, None, local_only, None)
    url = f"{base}/shared?token={token}"
    return ShareAddress(base, url, local_only, _qr(url))


def feed_address(public_base_url: str | None, request_base_url: str, token: str) -> FeedAddress:
    """Where the calendar feed with ``token`` is read from (``/feeds/<token>.ics``), and how to subscribe."""
    base, local_only = _base(public_base_url, request_base_url)
    url = f"{base}/feeds/{token}.ics"
    webcal = "webcal://" + url.split("://", 1)[1]
    return FeedAddress(base, url, webcal, local_only, _qr(webcal))
