"""Alternatives side by side: gabapentin and its comparators for one indication group.

Groups (``knowledge/data/alternatives.toml``): ``spasticity``, ``neuropathic-pain`` (which
postherpetic-neuralgia, diabetic-neuropathy and fibromyalgia resolve to) and ``anxiety``. Each row
carries its citations; ``line`` is the guideline's rank with the guideline cited. Where GabaCare's
interaction engine knows a comparator (:func:`gabacare.clinical.interactions.check_interactions`),
its cited finding is shown as ``with_gabapentin``, never a second copy of the same fact.
"""

from __future__ import annotations

from collections.abc import Sequence

from gabacare._record import record
from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.interactions import InteractionResult, check_interactions, normalise_name, resolve_ingredients
from gabacare.knowledge import Citation, load_monograph
from gabacare.knowledge.guide_data import Alternative, load_guide

__all__ = ["Comparison", "ComparisonRow", "compare", "comparison_groups", "resolve_group"]

_LINE_ORDER = {"first": 0, "second": 1, "third": 2, "specialist": 3, "not-recommended": 4}


@record
class ComparisonRow:
    """One option (docs/cli-contract.md ``compare`` keys: drug, brands, class, line, onset, dependence_risk,
    renal_adjustment, with_gabapentin, common_side_effects, serious_risks, citations)."""

    drug: str
    brands: tuple[str, ...]
    drug_class: str
    how_it_works: str
    line: str
    ranked: bool
    line_note: str
    line_citations: tuple[Citation, ...]
    onset: str | None
    dependence_risk: str
    dependence_note: str
    renal_adjustment: bool
    renal_note: str
    with_gabapentin: str | None
    interaction: InteractionResult | None
    common_side_effects: tuple[str, ...]
    serious_risks: tuple[str, ...]
    unverified: tuple[str, ...]
    citations: tuple[Citation, ...]

    def to_json(self) -> dict[str, object]:
        return {
            "drug": self.drug, "brands": list(self.brands), "class": self.drug_class, "how_it_works": self.how_it_works,
            "line": self.line, "ranked": self.ranked, "line_note": self.line_note,
            "line_citations": list(self.line_citations), "onset": self.onset, "dependence_risk": self.dependence_risk,
            "dependence_note": self.dependence_note, "renal_adjustment": self.renal_adjustment,
            "renal_note": self.renal_note, "with_gabapentin": self.with_gabapentin,
            "interaction": self.interaction.to_json() if self.interaction else None,
            "common_side_effects": list(self.common_side_effects), "serious_risks": list(self.serious_risks),
            "unverified": list(self.unverified), "citations": list(self.citations),
        }


@record
class Comparison:
    """The table for one group: ``indication`` (the group id), ``requested`` (as typed), ``options``."""

    indication: str
    requested: str
    title: str
    note: str
    note_citations: tuple[Citation, ...]
    options: tuple[ComparisonRow, ...]
    notice: str

    @property
    def citations(self) -> tuple[Citation, ...]:
        return tuple(dict.fromkeys((*self.note_citations, *(c for o in self.options for c in o.citations))))

    def to_json(self) -> dict[str, object]:
        return {
            "indication": self.indication, "requested": self.requested, "title": self.title, "note": self.note,
            "note_citations": list(self.note_citations), "options": [o.to_json() for o in self.options],
            "citations": list(self.citations), "notice": self.notice,
        }


def comparison_groups() -> tuple[str, ...]:
    """The group ids ``compare`` accepts (indication names and aliases resolve to these)."""
    return tuple(g.id for g in load_guide().groups)


def resolve_group(name: str) -> str:
    """Map a group id, an indication id or an indication alias to its group id.

    Raises
    ------
    ClinicalInputError
        No group covers the name; the message lists the groups.
    """
    guide = load_guide()
    key = name.strip().lower().replace(" ", "-").replace("_", "-")
    if key in comparison_groups():
        return key
    try:
        indication = load_monograph().indication(key).id
    except KeyError:
        indication = None
    for g in guide.groups:
        if indication in g.indications:
            return g.id
    raise ClinicalInputError(
        f"no comparison for indication {name!r}; groups: {', '.join(comparison_groups())} "
        "(pain indications such as postherpetic-neuralgia resolve to neuropathic-pain)"
    )


def _keys(alt: Alternative) -> set[str]:
    names = {alt.drug, *alt.brands, *(b.split("(")[0] for b in alt.brands)}
    out = {normalise_name(n) for n in names if n.strip()}
    if alt.interaction_name:
        out.add(normalise_name(alt.interaction_name))
    return out


def _matches(alt: Alternative, wanted: str) -> bool:
    key = normalise_name(wanted)
    if not key:
        return False
    keys = _keys(alt)
    if key in keys:
        return True
    ingredients = set(resolve_ingredients(wanted))
    return bool(ingredients & keys)


def _row(alt: Alternative) -> ComparisonRow:
    interaction: InteractionResult | None = None
    text: str | None = alt.with_gabapentin
    cites = list(alt.citations)
    if alt.interaction_name:
        found = check_interactions([alt.interaction_name]).results[0]
        if found.known:
            interaction = found
            text = f"{found.severity} ({found.action}): {found.effect} {found.advice}"
            cites.extend(found.citations)
    if "with_gabapentin" in alt.unverified and interaction is None:
        text = None
    onset = None if "onset" in alt.unverified else alt.onset
    return ComparisonRow(
        drug=alt.drug, brands=alt.brands, drug_class=alt.drug_class, how_it_works=alt.how_it_works, line=alt.line,
        ranked=alt.ranked, line_note=alt.line_note, line_citations=alt.line_citations, onset=onset,
        dependence_risk=alt.dependence_risk, dependence_note=alt.dependence_note,
        renal_adjustment=alt.renal_adjustment, renal_note=alt.renal_note, with_gabapentin=text,
        interaction=interaction, common_side_effects=alt.common_side_effects, serious_risks=alt.serious_risks,
        unverified=alt.unverified, citations=tuple(dict.fromkeys(cites)),
    )


def compare(indication: str, drugs: Sequence[str] = ()) -> Comparison:
    """Gabapentin and its comparators for ``indication``, ordered by guideline line.

    Parameters
    ----------
    indication
        A group (``spasticity``, ``neuropathic-pain``, ``anxiety``) or an indication or alias that
        resolves to one (``postherpetic-neuralgia``, ``phn``, ``muscle-spasms``, ...).
    drugs
        Optional names or brands to narrow the table; gabapentin's row is always kept.

    Raises
    ------
    ClinicalInputError
        Unknown indication (lists the groups) or a drug not in the group (lists its options).

    Examples
    --------
    >>> table = compare("phn", ["Lyrica"])
    >>> (table.indication, [o.drug for o in table.options])
    ('neuropathic-pain', ['gabapentin', 'pregabalin'])
    """
    group_id = resolve_group(indication)
    guide = load_guide()
    group = guide.group(group_id)
    options = guide.options(group_id)
    chosen = options
    wanted = [d for d in drugs if d.strip()]
    if wanted:
        unknown = [d for d in wanted if not any(_matches(a, d) for a in options)]
        if unknown:
            raise ClinicalInputError(
                f"not in the {group_id} comparison: {', '.join(unknown)}; options: {', '.join(a.drug for a in options)}"
            )
        chosen = tuple(a for a in options if a.drug == "gabapentin" or any(_matches(a, d) for d in wanted))
    rows = sorted((_row(a) for a in chosen), key=lambda r: (r.drug != "gabapentin", _LINE_ORDER[r.line]))
    return Comparison(
        indication=group_id, requested=indication, title=group.title, note=group.note,
        note_citations=group.citations, options=tuple(rows), notice=load_monograph().notice_text,
    )
