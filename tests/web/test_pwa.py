"""Installable and offline, in-process: the manifest, the service worker script and the offline page.

The browser side (the worker installs, a visited page opens offline, a never-visited page shows the
offline page, journal pages are never stored) is tested in real Chromium in ``tests/e2e/test_pwa.py``.
"""

from __future__ import annotations

import json
import struct

import pytest
from fastapi.testclient import TestClient

from gabacare.web import WebSettings, create_app
from gabacare.web.app import STATIC_DIR
from gabacare.web.pwa import PRIVATE_PREFIXES, shell_files


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(WebSettings(secret_key="pwa-secret-key-0123456789", access_log=False)))


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_manifest_makes_the_app_installable(client: TestClient) -> None:
    r = client.get("/manifest.webmanifest")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/manifest+json")
    m = r.json()
    assert m["display"] == "standalone" and m["start_url"] == "/" and m["scope"] == "/"
    assert m["name"] and m["short_name"] and m["theme_color"].startswith("#")
    sizes = {i["sizes"] for i in m["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in m["icons"]:
        got = client.get(icon["src"])
        assert got.status_code == 200, icon["src"]
        if icon["type"] == "image/png":
            w, h = png_size(got.content)
            assert f"{w}x{h}" == icon["sizes"]


def test_every_page_links_the_manifest(client: TestClient) -> None:
    html = client.get("/").text
    assert 'rel="manifest" href="/manifest.webmanifest"' in html and 'name="theme-color"' in html


def test_the_service_worker_is_served_from_the_root_and_never_stores_private_paths(client: TestClient) -> None:
    r = client.get("/sw.js")
    assert r.status_code == 200 and "javascript" in r.headers["content-type"]
    assert r.headers["service-worker-allowed"] == "/" and r.headers["cache-control"] == "no-cache"
    text = r.text
    shell = json.loads(text.split("const SHELL = ", 1)[1].split(";", 1)[0])
    private = json.loads(text.split("const PRIVATE = ", 1)[1].split(";", 1)[0])
    assert shell == list(shell_files()) and private == list(PRIVATE_PREFIXES)
    assert {"/patients", "/account", "/api/"} <= set(private)
    for path in shell:  # every shell file exists (install fails on a single 404)
        assert client.get(path).status_code == 200, path
    assert "&#34;" not in text and "&quot;" not in text  # the JSON is not HTML-escaped


def test_the_cache_name_changes_with_the_shell_files() -> None:
    from gabacare.web import pwa

    before = pwa._cache_name()
    assert before.startswith("gabacare-")
    assert all((STATIC_DIR / p.removeprefix("/static/")).exists() for p in shell_files() if p.startswith("/static/"))


def test_the_offline_page_lists_what_to_do_in_an_emergency(client: TestClient) -> None:
    html = client.get("/offline").text
    assert "You are offline" in html and "Call emergency services now" in html and "988" in html
