"""Doses accepted but above the label's limits are shown in the report, never silently counted (issue 18
item 2): a single dose above the largest single dose, a day above the maximum daily dose."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from gabacare.app.report import doctor_report
from gabacare.journal.memory import InMemoryJournalRepository
from gabacare.journal.services import Journal
from gabacare.knowledge import load_monograph
from gabacare.reports.render import render_html

NOW = datetime(2026, 3, 20, 12, 0)


def test_a_large_single_dose_and_a_day_above_the_maximum_are_listed_with_their_sources() -> None:
    m = load_monograph()
    big, top = m.journal_limits.warn_dose_mg, m.limits.max_daily_mg
    j = Journal(InMemoryJournalRepository(), clock=lambda: NOW)
    pid = j.add_patient("Ada").id
    day = datetime(2026, 3, 18, 8, 0)
    j.log_dose(pid, big + 100, at=day)                       # one dose above the largest single dose
    per_dose = big
    n = int(top // per_dose) + 1                              # enough of the largest doses to pass the daily maximum
    for k in range(n):
        j.log_dose(pid, per_dose, at=day + timedelta(days=1, hours=2 * k))
    j.log_dose(pid, big - 100, at=day - timedelta(days=1))   # an ordinary dose: nothing to check
    r = doctor_report(j, pid, start=NOW.date() - timedelta(days=6), end=NOW.date(), now=NOW)
    whys = [c.why for c in r.dose_checks]
    # The big single dose, and the next day whose largest-single doses add up past the daily maximum.
    assert len(r.dose_checks) == 2 and [c.at.date() for c in r.dose_checks] == [day.date(), (day + timedelta(days=1)).date()]
    assert f"{big:g} mg" in whys[0] and f"maximum of {top:g} mg/day" in whys[1]
    assert r.dose_checks[1].mg == n * per_dose
    html = render_html(r)
    assert "Doses to check" in html and m.limits.max_daily_citation.render() in html
    assert json.loads(json.dumps(r.to_json(), default=str))["dose_checks"]


def test_no_list_when_every_dose_is_within_the_label() -> None:
    j = Journal(InMemoryJournalRepository(), clock=lambda: NOW)
    pid = j.add_patient("Ada").id
    j.log_dose(pid, 300, at=datetime(2026, 3, 19, 8))
    r = doctor_report(j, pid, start=NOW.date() - timedelta(days=6), end=NOW.date(), now=NOW)
    assert r.dose_checks == () and "Doses to check" not in render_html(r)
