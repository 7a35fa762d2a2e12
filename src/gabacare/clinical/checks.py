"""Check a regimen against the limits: daily maximum, renal maximum and doses per day, the epilepsy
12-hour gap, doses that cannot be made from real products, and duplicate gabapentinoids.

Each problem has a stable ``code`` (scripts rely on it), a message and its citations:

=========================  ==============================================================  ===========
code                       meaning                                                         source
=========================  ==============================================================  ===========
max_daily_exceeded         day's total above the maximum daily dose (3600 mg)              label 2.1
indication_max_exceeded    day's total above the highest dose studied for the indication   its source
renal_max_exceeded         day's total above the renal band's maximum                      label 2.3
renal_doses_per_day        more doses a day than the renal band's regimen                  label 2.3
epilepsy_gap               more than 12 h between doses in epilepsy                        label 2.2
unmakeable_dose            a dose that no capsule/tablet combination or solution makes     label 3
duplicate_gabapentinoid    another gabapentinoid is also taken                             label, Beers
interaction_major          a co-medication with a major interaction (opioids, benzos)      label 5.7, FDA
interaction_combination    co-medications dangerous together (opioid + benzodiazepine)     fda-dsc-2016
=========================  ==============================================================  ===========

``warnings`` (which do not make ``ok`` false) cover doses above the indication's usual range (but
within its ceiling), doses below the band's range, fewer doses a
day than the band uses, doses that need the oral solution, moderate or minor interactions with an
action (``interaction``: other sedatives, alcohol, antacids) and co-medications GabaCare cannot
read (``interaction_unknown``: never taken as safe).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import pairwise

from gabacare._record import record
from gabacare.clinical.errors import ClinicalInputError
from gabacare.clinical.interactions import check_interactions
from gabacare.clinical.pills import is_makeable
from gabacare.clinical.regimen import DailyRegimen
from gabacare.clinical.renal import renal_limits
from gabacare.clinical.units import CrCl
from gabacare.knowledge import Citation, load_monograph

__all__ = ["CheckResult", "Problem", "check_regimen", "max_gap_hours"]


@record
class Problem:
    """One finding: ``code`` (stable), ``message`` and citations."""

    code: str
    message: str
    citations: tuple[Citation, ...]

    def to_json(self) -> dict[str, object]:
        return {"code": self.code, "message": self.message, "citations": list(self.citations)}


@record
class CheckResult:
    """``ok`` is True when there are no problems (warnings may remain)."""

    regimen: str
    total_mg: float
    doses_per_day: int
    problems: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    citations: tuple[Citation, ...]
    notice: str
    suggestion: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok, "regimen": self.regimen, "total_mg": self.total_mg, "doses_per_day": self.doses_per_day,
            "problems": [p.to_json() for p in self.problems], "warnings": [w.to_json() for w in self.warnings],
            "suggestion": self.suggestion, "citations": list(self.citations), "notice": self.notice,
        }


def max_gap_hours(regimen: DailyRegimen) -> float:
    """Longest time between consecutive doses of a repeating day, overnight gap included (hours)."""
    base = datetime(2000, 1, 1)
    stamps = [datetime.combine(base.date(), d.time) for d in regimen.doses]
    stamps.append(stamps[0] + timedelta(days=1))
    return max((b - a) / timedelta(hours=1) for a, b in pairwise(stamps))


def check_regimen(
    regimen: DailyRegimen,
    *,
    crcl: CrCl | None = None,
    indication: str | None = None,
    other_drugs: Sequence[str] = (),
) -> CheckResult:
    """Check a regimen (see the module table for the problem codes).

    Examples
    --------
    >>> from gabacare.clinical.regimen import parse_regimen
    >>> [p.code for p in check_regimen(parse_regimen("600 mg TID"), crcl=CrCl(25)).problems]
    ['renal_max_exceeded', 'renal_doses_per_day']
    """
    m = load_monograph()
    problems: list[Problem] = []
    warnings: list[Problem] = []
    total = regimen.total_mg
    n = regimen.doses_per_day
    ind = None
    if indication is not None:
        try:
            ind = m.indication(indication)
        except KeyError as exc:
            raise ClinicalInputError(str(exc.args[0])) from exc
    if total > m.limits.max_daily_mg:
        problems.append(Problem(
            "max_daily_exceeded",
            f"{total:g} mg/day is above the maximum of {m.limits.max_daily_mg} mg/day.",
            (m.limits.max_daily_citation,),
        ))
    band_doses = None
    if crcl is not None:
        lim = renal_limits(crcl)
        band_doses = lim.doses_per_day
        if total > lim.max_daily_mg:
            problems.append(Problem(
                "renal_max_exceeded",
                f"{total:g} mg/day is above {lim.max_daily_mg:g} mg/day, the maximum for CrCl {crcl} ({lim.band}).",
                lim.citations,
            ))
        elif total < lim.min_daily_mg and regimen.repeat:
            warnings.append(Problem(
                "below_renal_range",
                f"{total:g} mg/day is below the {lim.min_daily_mg:g}-{lim.max_daily_mg:g} mg/day maintenance range "
                f"for {lim.band} (fine during titration).",
                lim.citations,
            ))
        if regimen.repeat and n > lim.doses_per_day:
            problems.append(Problem(
                "renal_doses_per_day",
                f"{n} doses a day; at CrCl {crcl} the label's regimen is {lim.doses_per_day} a day.",
                lim.citations,
            ))
        elif regimen.repeat and n < lim.doses_per_day:
            warnings.append(Problem(
                "fewer_doses_than_band",
                f"{n} dose(s) a day; the label's regimen for {lim.band} splits the day into {lim.doses_per_day}.",
                lim.citations,
            ))
    if ind is not None and regimen.repeat:
        # The indication's own ceiling: the highest daily dose its source studied or tolerated long term
        # (above it: a problem); above the usual range but within that ceiling: a warning.
        ceiling = max((x for x in (ind.usual_max_mg, ind.tolerated_long_term_max_mg, ind.trial_max_mg) if x), default=None)
        if ceiling is not None and total > ceiling:
            problems.append(Problem(
                "indication_max_exceeded",
                f"{total:g} mg/day is above {ceiling:g} mg/day, the highest daily dose studied for {ind.title}.",
                ind.citations,
            ))
        elif ind.usual_max_mg is not None and total > ind.usual_max_mg:
            warnings.append(Problem(
                "above_usual_range",
                f"{total:g} mg/day is above the usual {ind.usual_min_mg}-{ind.usual_max_mg} mg/day for {ind.title}.",
                ind.citations,
            ))
    if ind is not None and ind.max_gap_rule and regimen.repeat:
        gap = max_gap_hours(regimen)
        limit = m.limits.epilepsy_max_gap_h
        # NOTE: only a regimen that already uses all the doses its renal band allows is excused the
        # 12 h gap (e.g. once daily at CrCl 15-29); once daily at CrCl 30-59 could be twice daily.
        renal_exception = band_doses is not None and band_doses < 3 and n == band_doses
        if gap > limit and not renal_exception:
            problems.append(Problem(
                "epilepsy_gap",
                f"{gap:g} h between doses; in epilepsy no more than {limit:g} h should pass between doses.",
                (m.limits.epilepsy_gap_citation,),
            ))
    for dose in regimen.doses:
        mg = dose.mg.value
        if not is_makeable(mg):
            if is_makeable(mg, "solution"):
                warnings.append(Problem(
                    "needs_oral_solution",
                    f"{mg:g} mg cannot be made from capsules or tablets; it can be measured as oral solution.",
                    m.oral_solution.citations,
                ))
            else:
                problems.append(Problem(
                    "unmakeable_dose",
                    f"{mg:g} mg cannot be made from the available capsules, tablets or oral solution.",
                    tuple(c for f in m.forms[:1] for c in f.citations) + m.oral_solution.citations,
                ))
    if other_drugs:
        # Every co-medication goes through the interaction engine: an opioid or a benzodiazepine is
        # a problem (major), another sedative or a separable antacid a warning, and a name that
        # cannot be read is a warning too (unknown is never "safe").
        report = check_interactions(other_drugs)
        for r in report.results:
            typed, ingredients = r.input.strip(), ", ".join(r.ingredients)
            label = f"{typed} ({ingredients})" if ingredients and ingredients != typed.lower() else typed
            if r.class_id == "gabapentinoids":
                problems.append(Problem(
                    "duplicate_gabapentinoid",
                    f"{label} duplicates gabapentin: {r.advice}",
                    r.citations,
                ))
            elif not r.known:
                warnings.append(Problem("interaction_unknown", r.advice, (Citation(source=m.names.source),)))
            elif r.severity == "major":
                problems.append(Problem("interaction_major", f"{label}: {r.class_title}. {r.effect} {r.advice}", r.citations))
            elif r.severity in ("moderate", "minor") and r.action != "none":
                warnings.append(Problem(
                    "interaction", f"{label}: {r.class_title}. {r.effect} {r.advice}", r.citations,
                ))
        for text in report.warnings:
            problems.append(Problem("interaction_combination", text, report.citations))
    cites = tuple(dict.fromkeys(c for p in (*problems, *warnings) for c in p.citations)) or (
        m.limits.max_daily_citation,
    )
    unique_problems = tuple({(p.code, p.message): p for p in problems}.values())
    unique_warnings = tuple({(p.code, p.message): p for p in warnings}.values())
    suggestion = None
    if crcl is not None and any(p.code in ("renal_max_exceeded", "renal_doses_per_day") for p in problems):
        # The same column of the label's renal table in the patient's band (see clinical/adjust.py).
        from gabacare.clinical.adjust import suggest_regimen

        try:
            suggestion = suggest_regimen(regimen, crcl).describe()
        except ClinicalInputError:
            suggestion = None
    return CheckResult(regimen.describe(), total, n, unique_problems, unique_warnings, cites, m.notice_text, suggestion)
