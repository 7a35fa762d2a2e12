"""Web fixtures: the app built by the real factory, driven in process through Starlette's TestClient."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gabacare.web import WebSettings, create_app


@pytest.fixture(scope="session")
def app() -> FastAPI:
    return create_app(WebSettings(secret_key="test-secret-key-0123456789", access_log=False))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """A fresh browser-like client (own cookie jar) against the shared app."""
    with TestClient(app, base_url="http://testserver") as c:
        yield c


def form_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "page has no CSRF token"
    return m.group(1)
