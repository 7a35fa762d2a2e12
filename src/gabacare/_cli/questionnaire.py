"""Questionnaire commands: ``gabacare questionnaire score|log|list`` and ``gabacare taper-watch``.

``score`` only scores; ``log`` scores and stores a completed questionnaire in the journal
(:func:`gabacare.app.log_questionnaire`), ``list`` shows the stored ones, and ``taper-watch`` reads the
journal after the latest taper step and proposes continue/hold/slow/step_back/emergency to the
prescriber (:func:`gabacare.app.taper_watch`). Without a taper step to watch, ``taper-watch`` exits 0
with ``proposal`` null and a ``reason``.

The command parses the answers, calls :func:`gabacare.clinical.questionnaires.score` and renders the
result. The instruments are data (``knowledge/data/questionnaires.toml``); the help text names them
without loading it, so ``gabacare --help`` stays fast (a test keeps the two lists equal). Other areas
add their commands to :data:`questionnaire_app` (``questionnaire log`` stores a score in the journal).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from gabacare._cli.common import (
    DbOpt,
    JsonOpt,
    PatientOpt,
    citations_text,
    emit_json,
    guard,
    notice,
    open_journal,
    shown,
    stdout_console,
)

if TYPE_CHECKING:
    from gabacare.app.questionnaires import TaperWatchAnswer
    from gabacare.clinical.questionnaires import QuestionnaireResult

__all__ = ["INSTRUMENT_HELP", "questionnaire_app", "register"]

#: The instruments as the help lists them (tests/unit/clinical/test_questionnaires_cli.py keeps this in
#: step with questionnaires.toml).
INSTRUMENT_HELP = {
    "phq9": "PHQ-9, depression: 9 answers 0-3 (item 9 above 0 is an emergency)",
    "gad7": "GAD-7, anxiety: 7 answers 0-3",
    "penn_spasm": "Penn Spasm Frequency Scale: frequency 0-4, then severity 1-3 when frequency > 0",
    "pain_nrs": "pain numeric rating: 1 answer 0-10",
    "pgic": "patient global impression of change: 1 answer 1 (very much improved) to 7 (very much worse)",
}

questionnaire_app = typer.Typer(
    help="Validated questionnaires (PHQ-9, GAD-7, Penn spasm scale, pain 0-10, PGIC): score them.",
    no_args_is_help=True,
)

_STYLE = {True: "bold white on red"}


def _render(r: QuestionnaireResult) -> None:
    console = stdout_console()
    if r.emergency:
        console.print(f"[{_STYLE[True]}] EMERGENCY [/] {shown(r.advice)}")
        for line in r.crisis_lines:
            console.print(f"  [bold]{shown(line.number)}[/bold]  {shown(line.name)} ({shown(line.region)})")
    console.print(f"[bold]{shown(r.name)}[/bold]: {r.total} of {r.max_total} — [bold]{shown(r.band_word)}[/bold]")
    console.print(shown(r.band_advice))
    if r.mid is not None:
        console.print(f"[dim]A change of {r.mid:g} points or more is clinically important. "
                      f"Answer again in {r.interval_days} day(s).[/dim]")
    console.print(f"[dim]Sources: {citations_text(r.citations)}[/dim]")
    console.print(f"[italic]{notice()}[/italic]")


def _instrument_help() -> str:
    return "; ".join(f"{k} ({v})" for k, v in INSTRUMENT_HELP.items())


@questionnaire_app.command("score", help=(
    "Score one completed questionnaire. INSTRUMENT is one of: " + _instrument_help() + ". "
    "Bad answers (wrong count, out of range, not whole numbers) exit 2."))
def score_cmd(
    instrument: Annotated[str, typer.Argument(help="phq9, gad7, penn_spasm, pain_nrs or pgic.", show_default=False)],
    answers: Annotated[str, typer.Option("--answers", help="The answers in item order, e.g. 0,1,2,3.",
                                         show_default=False)],
    json_out: JsonOpt = False,
) -> None:
    with guard():
        from gabacare.clinical.questionnaires import parse_answers, score

        result = score(instrument, parse_answers(answers))
        if json_out:
            emit_json(result)
        else:
            _render(result)


@questionnaire_app.command("log", help=(
    "Score a completed questionnaire and store it in the patient's journal. INSTRUMENT is one of: "
    + _instrument_help() + ". Bad answers, an unknown instrument or patient exit 2 and store nothing."))
def log_cmd(
    patient: PatientOpt,
    instrument: Annotated[str, typer.Argument(help="phq9, gad7, penn_spasm, pain_nrs or pgic.", show_default=False)],
    answers: Annotated[str, typer.Option("--answers", help="The answers in item order, e.g. 0,1,2,3.",
                                         show_default=False)],
    at: Annotated[str | None, typer.Option("--at", help="When it was completed (ISO time; default now).",
                                           show_default=False)] = None,
    db: DbOpt = None,
    json_out: JsonOpt = False,
) -> None:
    from gabacare._cli.journal import _guard

    with _guard():
        from gabacare.app.questionnaires import log_questionnaire

        logged = log_questionnaire(open_journal(db), patient, instrument, answers, at=at)
        if json_out:
            emit_json(logged)
            return
        stdout_console().print(f"Logged questionnaire #{logged.stored.id} at {logged.stored.at:%Y-%m-%d %H:%M}")
        _render(logged.result)


@questionnaire_app.command("list", help="The questionnaires stored for a patient, oldest first.")
def list_cmd(patient: PatientOpt, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    from gabacare._cli.journal import _guard

    with _guard():
        from gabacare.app.questionnaires import list_questionnaires

        found = list_questionnaires(open_journal(db), patient)
        if json_out:
            emit_json(found)
            return
        console = stdout_console()
        if not found.items:
            console.print("No questionnaires yet: `gabacare questionnaire log --patient ID INSTRUMENT --answers …`.")
        for q in found.items:
            r = q.result
            flag = " [bold white on red] EMERGENCY [/]" if r.emergency else ""
            console.print(f"#{q.stored.id} {q.stored.at:%Y-%m-%d %H:%M} {shown(r.name)}: {r.total} of {r.max_total}"
                          f" — {shown(r.band_word)}{flag}")


def _render_watch(w: TaperWatchAnswer) -> None:
    console = stdout_console()
    r = w.result
    if r is None:
        console.print(shown(w.reason or ""))
        console.print(f"[italic]{notice()}[/italic]")
        return
    style = {"continue": "green", "hold": "yellow", "slow": "yellow", "step_back": "bold red",
             "emergency": "bold white on red"}.get(r.proposal, "bold")
    console.print(f"Step {r.step.at:%Y-%m-%d %H:%M}: {r.step.from_mg_per_day:g} -> {r.step.to_mg_per_day:g} mg/day; "
                  f"watched {r.window_start:%Y-%m-%d %H:%M} to {r.window_end:%Y-%m-%d %H:%M}")
    console.print(f"[{style}] {shown(r.title)} [/] {shown(r.message)}")
    for line in r.crisis_lines:
        console.print(f"  [bold]{shown(line.number)}[/bold]  {shown(line.name)} ({shown(line.region)})")
    for reason in r.reasons:
        console.print(f"- {shown(reason.why)} ({len(reason.evidence)} entr{'y' if len(reason.evidence) == 1 else 'ies'})")
    console.print(f"[dim]Sources: {citations_text(r.citations)}[/dim]")
    console.print(f"[italic]{notice()}[/italic]")


def taper_watch_cmd(patient: PatientOpt, db: DbOpt = None, json_out: JsonOpt = False) -> None:
    """Read the journal after the latest taper step and propose continue, hold, slow, step_back or
    emergency to the prescriber, with the entries behind it. Without a taper step to watch: exit 0,
    proposal null and the reason."""
    from gabacare._cli.journal import _guard

    with _guard():
        from gabacare.app.questionnaires import taper_watch

        answer = taper_watch(open_journal(db), patient)
        if json_out:
            emit_json(answer)
        else:
            _render_watch(answer)


def register(app: typer.Typer) -> None:
    """Add the ``questionnaire`` group and ``taper-watch`` to the CLI."""
    app.add_typer(questionnaire_app, name="questionnaire")
    app.command("taper-watch")(taper_watch_cmd)
