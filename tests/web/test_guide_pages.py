"""The guide on the web: the API mirrors `gabacare ask|compare --json`; pages show sources, triage first."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from gabacare.guide import TOPIC_IDS, all_topics

from .test_api import assert_problem, cli_json

HTML = {"accept": "text/html"}


@pytest.mark.parametrize(("params", "cli"), [
    ({"q": "can I have a glass of wine?"}, ("ask", "can I have a glass of wine?")),
    ({"q": "my lips are swelling"}, ("ask", "my lips are swelling")),
    ({"q": "can I take it with tramadol"}, ("ask", "can I take it with tramadol")),
    ({"q": "how do I store the oral solution"}, ("ask", "how do I store the oral solution")),
])
def test_ask_api_equals_the_cli_json(client: TestClient, params: dict[str, str], cli: tuple[str, ...]) -> None:
    r = client.get("/api/v1/ask", params=params)
    assert r.status_code == 200, r.text
    assert r.json() == cli_json(*cli)


@pytest.mark.parametrize(("params", "cli"), [
    ({"indication": "spasticity"}, ("compare", "--indication", "spasticity")),
    ({"indication": "phn", "drugs": ["Lyrica"]}, ("compare", "--indication", "phn", "Lyrica")),
    ({"indication": "anxiety"}, ("compare", "--indication", "anxiety")),
])
def test_compare_api_equals_the_cli_json(client: TestClient, params: dict[str, Any], cli: tuple[str, ...]) -> None:
    r = client.get("/api/v1/compare", params=params)
    assert r.status_code == 200, r.text
    assert r.json() == cli_json(*cli)


@pytest.mark.parametrize("q", ["", "   ", "???", "why " * 400])
def test_blank_or_over_long_questions_are_422_problems(client: TestClient, q: str) -> None:
    body = assert_problem(client.get("/api/v1/ask", params={"q": q}), 422)
    assert body["type"].endswith("/problems/clinical-input")


def test_missing_question_and_unknown_indication_are_422(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/ask"), 422)
    body = assert_problem(client.get("/api/v1/compare", params={"indication": "hiccups"}), 422)
    assert "spasticity" in body["detail"]  # the refusal lists the groups


def test_topics_api_lists_every_topic_and_serves_each(client: TestClient) -> None:
    listed = client.get("/api/v1/topics").json()
    assert [t["id"] for t in listed["topics"]] == list(TOPIC_IDS)
    assert len(TOPIC_IDS) == 16
    one = client.get("/api/v1/topics/stopping").json()
    assert one["id"] == "stopping" and one["paragraphs"] and all(p["citations"] for p in one["paragraphs"])
    assert "not a substitute for your clinician" in one["notice"]


def test_unknown_topic_is_a_404_problem_and_a_404_page(client: TestClient) -> None:
    assert_problem(client.get("/api/v1/topics/nope"), 404)
    page = client.get("/guide/nope", headers=HTML)
    assert page.status_code == 404 and "guide topic" in page.text


def test_guide_index_links_every_topic(client: TestClient) -> None:
    html = client.get("/guide").text
    for t in all_topics():
        assert f'href="/guide/{t.id}"' in html


@pytest.mark.parametrize("topic_id", TOPIC_IDS)
def test_every_topic_page_shows_its_paragraphs_with_sources_and_the_notice(client: TestClient, topic_id: str) -> None:
    page = next(t for t in all_topics() if t.id == topic_id)
    html = client.get(f"/guide/{topic_id}").text
    assert html.count('class="para-sources') == len(page.paragraphs)
    for c in page.citations:
        assert c.render() in html
    assert "Not a substitute for your clinician" in html


def test_topic_numbers_come_from_the_knowledge_base(client: TestClient) -> None:
    from gabacare.knowledge import load_monograph

    html = client.get("/guide/dosing").text
    assert f"{load_monograph().limits.max_daily_mg:g}" in html


def test_compare_page_is_a_table_with_row_and_column_headers(client: TestClient) -> None:
    html = client.get("/compare", params={"indication": "spasticity"}).text
    assert "<table" in html and "<caption" in html
    assert html.count('<th scope="col">') == 7
    rows = re.findall(r'<th scope="row">\s*<span class="drug">([^<]+)</span>', html)
    assert rows[0] == "Gabapentin" and "Baclofen" in rows and "Tizanidine" in rows
    assert "First line" in html and "otero-2016" in html  # the guideline's rank, cited
    assert "Interaction check:" in html and "fda-dsc-2019" in html  # the interaction engine's finding
    assert 'data-label="With gabapentin"' in html  # labels for the phone (card) layout


def test_compare_page_without_indication_offers_the_groups_and_refuses_unknown(client: TestClient) -> None:
    html = client.get("/compare").text
    assert 'href="/compare?indication=neuropathic-pain"' in html
    bad = client.get("/compare", params={"indication": "hiccups"})
    assert bad.status_code == 422 and 'role="alert"' in bad.text


def test_search_shows_the_emergency_first_in_an_alert(client: TestClient) -> None:
    html = client.get("/search", params={"q": "my lips are swelling, is gabapentin the cause?"}).text
    alert = html.find('role="alert"')
    assert alert != -1 and "Emergency: get help now" in html
    answers = html.find("from the guide</h2>")
    assert answers == -1 or alert < answers


def test_search_shows_interactions_and_answers_with_sources(client: TestClient) -> None:
    html = client.get("/search", params={"q": "can I take it with tramadol?"}).text
    assert "With gabapentin" in html and "tramadol" in html and "Opioids" in html
    assert 'href="/guide/alcohol-and-sedatives"' in html
    assert "Sources:" in html


def test_search_with_nothing_matching_points_to_the_pharmacist(client: TestClient) -> None:
    html = client.get("/search", params={"q": "zebra quantum violin"}).text
    assert "pharmacist" in html and "answers from the guide</h2>" not in html


def test_search_refuses_an_over_long_question_on_the_page(client: TestClient) -> None:
    r = client.get("/search", params={"q": "why " * 400})
    assert r.status_code == 422 and 'role="alert"' in r.text


def test_every_page_has_the_search_box_and_the_guide_in_the_navigation(client: TestClient) -> None:
    for path in ("/", "/plan/titrate", "/guide", "/compare", "/search"):
        html = client.get(path).text
        assert 'action="/search"' in html and 'name="q"' in html
        assert '<a href="/guide"' in html and '<a href="/compare"' in html
