"""The journal pages are included before every other router (``create_app``: the Today page is matched
first), which may change no answer: no journal page route matches a request meant for another route."""

from __future__ import annotations

import re
from collections.abc import Iterator

from fastapi import FastAPI
from starlette.routing import BaseRoute, Match, Route

from gabacare.web import journal_pages

SAMPLES = ("1", "today", "pickups", "x")  # what each path parameter is filled with


def _leaves(routes: list[BaseRoute]) -> Iterator[Route]:
    """Every HTTP route of the app, inside included routers too (FastAPI nests them from 0.12x on)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _leaves(inner.routes)
        elif isinstance(route, Route):
            yield route


def _scope(path: str, method: str) -> dict[str, object]:
    return {"type": "http", "path": path, "method": method, "root_path": "", "headers": [], "query_string": b""}


def test_the_journal_pages_are_matched_first(app: FastAPI) -> None:
    first = next(r for r in app.router.routes if getattr(r, "original_router", None) is not None)
    assert getattr(first, "original_router", None) is journal_pages.router


def test_no_journal_page_route_takes_a_request_meant_for_another_route(app: FastAPI) -> None:
    journal = [r for r in _leaves(journal_pages.router.routes)]
    assert any(r.path == "/patients/{patient_id}/today" for r in journal)
    mine = {id(r.endpoint) for r in journal}
    others = [r for r in _leaves(app.router.routes) if id(r.endpoint) not in mine]
    assert len(others) > 50
    taken = []
    for route in others:
        for sample in SAMPLES:
            path = re.sub(r"\{[^}]+\}", sample, route.path)
            for method in route.methods or {"GET"}:
                scope = _scope(path, method)
                if route.matches(scope)[0] is not Match.FULL:
                    continue  # a sample this route itself refuses (a typed parameter)
                taken += [(method, path, page.path) for page in journal if page.matches(scope)[0] is Match.FULL]
    assert taken == []
