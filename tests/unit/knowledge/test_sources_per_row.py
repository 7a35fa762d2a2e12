"""One source per number: every table of the knowledge base that holds a number cites it itself.

The rule, over the raw TOML of the monograph's files (``gabapentin.toml``, ``medicines.toml``):

* a *table* is a plain TOML table or one element of an array of tables; a *number* is an int or a
  float, or a list of them (booleans are not numbers);
* a number is covered by a ``source`` or ``sources`` key of its own table, or by a ``<prefix>_source``
  key in the same table whose prefix starts the number's key (``max_daily_source`` covers
  ``max_daily_mg``);
* a child table never inherits its parent's source (``[[indications.weight_targets]]`` rows cite
  their own, even though their indication has one).

Where a number is GabaCare's own choice the data cites ``gabacare-policy`` with a note saying so.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from importlib import resources
from typing import Any

import pytest

from gabacare.knowledge.monograph import MONOGRAPH_FILES, read_raw_monograph


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _holds_number(value: Any) -> bool:
    return _is_number(value) or (isinstance(value, list) and bool(value) and all(_is_number(v) for v in value))


def _cites(value: Any) -> bool:
    """A usable citation value: a non-empty source id, or a non-empty list of them."""
    if isinstance(value, str):
        return bool(value.strip())
    return isinstance(value, list) and bool(value) and all(isinstance(v, str) and v.strip() for v in value)


def uncovered_numbers(node: Any, path: str = "") -> Iterator[str]:
    """Paths (``limits.max_daily_mg``, ``indications[2].weight_targets[0].target_mg_per_kg_day``) of
    numbers whose own table does not cite them."""
    if isinstance(node, Mapping):
        own = _cites(node.get("source")) or _cites(node.get("sources"))
        prefixes = [str(k)[: -len("_source")] for k, v in node.items()
                    if str(k).endswith("_source") and len(str(k)) > len("_source") and _cites(v)]
        for key, value in node.items():
            here = f"{path}.{key}" if path else str(key)
            if _holds_number(value) and not own and not any(str(key).startswith(p) for p in prefixes):
                yield here
            if isinstance(value, Mapping | list):
                yield from uncovered_numbers(value, here)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            if isinstance(item, Mapping | list):
                yield from uncovered_numbers(item, f"{path}[{i}]")


def _raw(name: str) -> dict[str, Any]:
    with resources.files("gabacare.knowledge").joinpath("data", name).open("rb") as fh:
        return tomllib.load(fh)


def _report(where: str, paths: list[str]) -> str:
    return (
        f"{where}: {len(paths)} number(s) without a source of their own. Give each table a `source` or "
        "`sources` key, or a `<prefix>_source` key beside `<prefix>_...` numbers (a child table does not "
        "inherit its parent's source; a GabaCare choice cites `gabacare-policy` with a note):\n  "
        + "\n  ".join(paths)
    )


@pytest.mark.parametrize("name", MONOGRAPH_FILES)
def test_every_number_in_the_knowledge_base_names_its_own_source(name):
    paths = list(uncovered_numbers(_raw(name)))
    assert paths == [], _report(name, paths)


def test_the_merged_monograph_has_no_uncited_number():
    """The same rule over the dictionary the loader validates (both files merged)."""
    paths = list(uncovered_numbers(read_raw_monograph()))
    assert paths == [], _report("read_raw_monograph()", paths)


# --- the rule itself --------------------------------------------------------------------------------

RULE = [
    ("a table's own source covers its numbers", {"t": {"n": 1, "source": "label"}}, []),
    ("a list of sources covers too", {"t": {"n": 1.5, "sources": ["label", "x"]}}, []),
    ("a number without any source", {"t": {"n": 1}}, ["t.n"]),
    ("a list of numbers is a number", {"t": {"cols": [1, 2, 3]}}, ["t.cols"]),
    ("a prefix source covers the keys it starts", {"t": {"max_daily_mg": 3600, "max_daily_source": "label"}}, []),
    ("a prefix source covers only its own keys",
     {"t": {"max_daily_mg": 3600, "max_daily_source": "label", "gap_h": 12.0}}, ["t.gap_h"]),
    ("an empty source does not count", {"t": {"n": 1, "source": ""}}, ["t.n"]),
    ("booleans are not numbers", {"t": {"flag": True, "flags": [True, False]}}, []),
    ("strings and lists of strings are not numbers", {"t": {"s": "12", "xs": ["1", "2"]}}, []),
    ("a child table does not inherit its parent's source",
     {"t": {"source": "label", "child": {"n": 2}}}, ["t.child.n"]),
    ("each element of an array of tables cites itself",
     {"rows": [{"n": 1, "source": "label"}, {"n": 2}]}, ["rows[1].n"]),
    ("array-of-tables rows under a cited row do not inherit",
     {"ind": [{"source": "label", "targets": [{"n": 40.0}]}]}, ["ind[0].targets[0].n"]),
    ("a parent's prefix source does not reach a child",
     {"t": {"max_source": "label", "sub": {"max_mg": 1}}}, ["t.sub.max_mg"]),
]


@pytest.mark.parametrize(("data", "expected"), [r[1:] for r in RULE], ids=[r[0] for r in RULE])
def test_the_rule(data, expected):
    assert list(uncovered_numbers(data)) == expected


def test_the_failure_message_lists_the_paths():
    paths = list(uncovered_numbers({"limits": {"epilepsy_max_gap_h": 12.0, "epilepsy_gap_source": "label"}}))
    assert paths == ["limits.epilepsy_max_gap_h"]
    message = _report("gabapentin.toml", paths)
    assert "limits.epilepsy_max_gap_h" in message and "1 number(s)" in message
