"""The address a share link is handed out as: the public base URL when the server has one
(``GABACARE_PUBLIC_BASE_URL``), else the address this page was reached at, with a QR code for a phone
and a warning when that address only works on this computer.

Pure apart from drawing the QR code (segno, pure Python, no network).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["ShareAddress", "share_address"]

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1", "0.0.0.0"})


@dataclass(frozen=True)
class ShareAddress:
    """``url`` to give the clinician (None until a link is created), whether it only works on this
    computer, and the QR code of ``url`` as an ``data:image/svg+xml`` URI (None without a link)."""

    base: str
    url: str | None
    local_only: bool
    qr_data_uri: str | None


def share_address(public_base_url: str | None, request_base_url: str, token: str | None) -> ShareAddress:
    """Where a share link with ``token`` is reached from, and how to hand it over."""
    base = (public_base_url or request_base_url).rstrip("/")
    host = (urlsplit(base).hostname or "").lower()
    local_only = host in _LOOPBACK or host.endswith(".localhost")
    if token is None:
        return ShareAddress(base, None, local_only, None)
    url = f"{base}/shared?token={token}"
    import segno

    qr = segno.make(url, error="m")
    return ShareAddress(base, url, local_only, qr.svg_data_uri(scale=4, border=2, dark="#111", light="#fff"))
