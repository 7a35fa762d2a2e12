"""The knowledge base loads, validates completely, and fails fast when broken.

Also keeps provenance honest: every fact cites a source in ``sources.toml`` and every source there is
cited by some fact, and the clinical modules hold no bare clinical numbers (every number a rule uses
lives in ``knowledge/data/*.toml``; docs/architecture.md, "Where clinical rules live").
"""

from __future__ import annotations

import ast
import copy
import tomllib
from importlib import resources
from pathlib import Path

import pytest
from pydantic import BaseModel

import gabacare.clinical
from gabacare.knowledge import Citation, KnowledgeBaseError, Monograph, load_monograph
from gabacare.knowledge.monograph import build_monograph, cited_source_ids, read_raw_monograph


def _raw(name: str) -> dict:
    with resources.files("gabacare.knowledge").joinpath("data", name).open("rb") as fh:
        return tomllib.load(fh)


@pytest.fixture
def raw() -> dict:
    return read_raw_monograph()


@pytest.fixture
def raw_sources() -> dict:
    return _raw("sources.toml")


def test_bundled_knowledge_base_loads_and_is_cached():
    m = load_monograph()
    assert isinstance(m, Monograph)
    assert load_monograph() is m
    assert m.limits.max_daily_mg == 3600
    assert [b.id for b in m.renal.bands] == ["60+", "30-59", "15-29", "15"]


def test_build_monograph_accepts_an_unmodified_copy(raw, raw_sources):
    built = build_monograph(raw, raw_sources)
    assert isinstance(built, Monograph)
    assert built.renal == load_monograph().renal and built.limits == load_monograph().limits


def test_knowledge_base_error_is_a_value_error():
    assert issubclass(KnowledgeBaseError, ValueError)


def _set(data: dict, path: str, value) -> None:
    *parents, last = path.split(".")
    node = data
    for p in parents:
        node = node[int(p)] if isinstance(node, list) else node[p]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


BROKEN = [
    # (what, dotted path, new value, text the error must mention)
    ("a fact cites an unknown source", "drug.source", "no-such-source", "no-such-source"),
    ("a list of sources has an unknown one", "interaction_classes.0.sources", ["label", "made-up-2099"], "made-up-2099"),
    ("a *_source key is unknown", "limits.max_daily_source", "nobody", "nobody"),
    ("wrong type: text for a number", "limits.max_daily_mg", "lots", "max_daily_mg"),
    ("wrong type: negative strength", "forms.0.strength_mg", -100, "strength_mg"),
    ("wrong type: severity not in the vocabulary", "interaction_classes.0.severity", "catastrophic", "severity"),
    ("wrong type: urgency not in the vocabulary", "adverse_effects.0.urgency", "later", "urgency"),
    ("band columns do not span min..max daily", "renal.bands.0.columns_mg", [300, 400, 600, 800, 1100], "60+"),
    ("band columns do not rise", "renal.bands.1.columns_mg", [200, 400, 300, 500, 700], "30-59"),
    ("band with a missing column", "renal.bands.2.columns_mg", [200, 300, 500, 700], "same number of columns"),
    ("dialysis supplement with a missing column", "renal.hemodialysis.supplement_columns_mg", [125, 150, 200, 250],
     "same number of columns"),
    ("band min_daily_mg inconsistent with the columns", "renal.bands.0.min_daily_mg", 1000, "60+"),
    ("bands out of order", "renal.bands.1.crcl_min", 70.0, "highest CrCl down"),
    ("schedule times out of order", "schedule.times_2", ["20:00", "08:00"], "order"),
    ("schedule time not HH:MM", "schedule.times_1", ["9pm"], "HH:MM"),
    ("bioavailability rising with dose", "pk.bioavailability.4.fraction", 0.9, "bioavailability"),
    ("a scheme titration with mismatched columns", "indications.0.scheme_doses_per_day", [1, 2], "scheme"),
    ("an unknown key (typo) is refused", "limits.max_daly_mg", 3600, "max_daly_mg"),
    ("a name in another script read as a non-Latin name", "names.written", {"リリカ": "リリカ"}, "names.written"),
]


@pytest.mark.parametrize(("what", "path", "value", "mentions"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_data_fails_fast(raw, raw_sources, what, path, value, mentions):
    broken = copy.deepcopy(raw)
    _set(broken, path, value)
    with pytest.raises(KnowledgeBaseError) as err:
        build_monograph(broken, raw_sources)
    assert mentions in str(err.value), what


def test_a_fact_without_any_source_fails(raw, raw_sources):
    broken = copy.deepcopy(raw)
    del broken["notice"]["source"]
    with pytest.raises(KnowledgeBaseError, match="source"):
        build_monograph(broken, raw_sources)


def test_a_linear_titration_without_a_start_fails(raw, raw_sources):
    broken = copy.deepcopy(raw)
    linear = next(i for i in broken["indications"] if i["kind"] == "linear")
    del linear["start_mg"]
    with pytest.raises(KnowledgeBaseError, match="start_mg"):
        build_monograph(broken, raw_sources)


def test_a_source_missing_its_url_fails(raw, raw_sources):
    broken = copy.deepcopy(raw_sources)
    del broken["label"]["url"]
    with pytest.raises(KnowledgeBaseError, match=r"sources\.toml"):
        build_monograph(raw, broken)


def test_every_cited_source_exists_and_every_source_is_cited():
    sources = set(_raw("sources.toml"))
    cited = cited_source_ids()
    assert cited - sources == set(), "facts cite sources missing from sources.toml"
    assert sources - cited == set(), "sources.toml lists sources no fact cites"


def test_every_citation_on_a_loaded_fact_resolves():
    m = load_monograph()
    seen: list[Citation] = []

    def walk(node) -> None:
        if isinstance(node, Citation):
            seen.append(node)
        elif hasattr(node, "citations") and not isinstance(node, type):
            seen.extend(node.citations)
        if isinstance(node, BaseModel):
            for name in type(node).model_fields:
                walk(getattr(node, name))
        elif isinstance(node, tuple | list):
            for x in node:
                walk(x)

    walk(m)
    assert len(seen) > 50
    for c in seen:
        assert c.source in m.sources
        assert m.source(c).url


def test_sources_carry_title_url_version_and_accessed_date():
    for sid, s in load_monograph().sources.items():
        assert s.id == sid and s.title and s.url and s.version and s.accessed


def test_indication_lookup_by_alias_and_unknown_lists_known():
    m = load_monograph()
    assert m.indication("PHN").id == "postherpetic-neuralgia"
    assert m.indication("muscle spasms").id == "spasticity"
    with pytest.raises(KeyError, match="known: postherpetic-neuralgia"):
        m.indication("gout")


def test_aliases_are_unique_across_indications():
    names = [n for i in load_monograph().indications for n in (i.id, *i.aliases)]
    assert len(names) == len(set(names))


def test_monograph_is_immutable():
    m = load_monograph()
    with pytest.raises(Exception, match="frozen"):
        m.limits.max_daily_mg = 4800  # type: ignore[misc]


# --- no bare clinical numbers in the engine ---------------------------------------------------
#
# Every number a rule uses lives in the knowledge base. The scan flags any int/float literal in
# ``src/gabacare/clinical/*.py`` whose value also appears as a number in ``gabapentin.toml`` (3600,
# 1800, 1400, 700, 900, 0.85, 88.4, 12, 7, 15, ...), except:
#   * 0, 1, 2, 3: identities, indices and counts of doses a day (QD/BID/TID *are* 1/2/3);
#   * tolerances below 0.001 (float comparison);
#   * 3600 only as the divisor of ``total_seconds()`` (seconds per hour, not mg);
#   * a short list of (module, value) pairs below, each with its reason. A new entry needs one too.
ALLOWED_ANYWHERE = {0, 1, 2, 3}
ALLOWED_IN_MODULE = {
    ("pills.py", 10): "tenths of a mg: the precision of the dose cache key",
    ("pills.py", 0.5): "a half tablet (the knowledge base says which tablets may be halved)",
    ("plan.py", 7): "days shown for a steady (maintenance) plan: display only",
    # KNOWN GAP, reported to the lead: the paediatric minimum weight is the adult plausible minimum / 4
    # (20 kg / 4 = 5 kg). It belongs in [renal.plausible] or the epilepsy-child indication.
    ("titration.py", 4): "paediatric weight floor (to be moved to the knowledge base)",
    ("drug_names.py", 12): "how many near names the fuzzy search returns: a search bound, not a clinical number",
    ("lexicon.py", 6): "matches kept per word group and sentence: a work bound for long texts",
    ("lexicon.py", 65536): "size of the stem cache",
    ("spelling.py", 8): "how many near words the corrector compares: a search bound",
    ("spelling.py", 8192): "size of the correction cache",
}


def _toml_numbers(node) -> set[float]:
    if isinstance(node, bool):
        return set()
    if isinstance(node, int | float):
        return {node}
    if isinstance(node, dict):
        return set().union(*(_toml_numbers(v) for v in node.values())) if node else set()
    if isinstance(node, list):
        return set().union(*(_toml_numbers(v) for v in node)) if node else set()
    return set()


def _is_seconds_per_hour(parent: ast.AST | None, node: ast.Constant) -> bool:
    return (
        isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Div) and parent.right is node
        and isinstance(parent.left, ast.Call) and isinstance(parent.left.func, ast.Attribute)
        and parent.left.func.attr == "total_seconds"
    )


def _bare_numbers(path: Path, clinical: set[float]) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or isinstance(node.value, bool) or not isinstance(node.value, int | float):
            continue
        v = node.value
        if v in ALLOWED_ANYWHERE or abs(v) < 1e-3 or v not in clinical:
            continue
        if (path.name, v) in ALLOWED_IN_MODULE:
            continue
        if v == 3600 and _is_seconds_per_hour(parents.get(node), node):
            continue
        found.append((node.lineno, f"{path.name}:{node.lineno}: {v!r}"))
    return [text for _, text in sorted(found)]


def test_no_bare_clinical_numbers_in_the_engine():
    clinical = _toml_numbers(read_raw_monograph())
    assert {3600, 1800, 1400, 700, 900, 0.85, 88.4} <= clinical
    files = sorted(Path(gabacare.clinical.__file__).parent.rglob("*.py"))
    assert len(files) >= 10
    found = [hit for f in files for hit in _bare_numbers(f, clinical)]
    assert found == [], "move these numbers into knowledge/data/gabapentin.toml with a source"


def test_the_bare_number_scan_catches_a_literal(tmp_path):
    clinical = _toml_numbers(read_raw_monograph())
    bad = tmp_path / "bad.py"
    bad.write_text("def cap(x):\n    return min(x, 3600)\n\nFEMALE = 0.85\nHOURS = 7200 / 3600\n", encoding="utf-8")
    assert _bare_numbers(bad, clinical) == ["bad.py:2: 3600", "bad.py:4: 0.85", "bad.py:5: 3600"]
    ok = tmp_path / "ok.py"
    ok.write_text("def h(d):\n    return d.total_seconds() / 3600 + 0 + 1e-9\n", encoding="utf-8")
    assert _bare_numbers(ok, clinical) == []
