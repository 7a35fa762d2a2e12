"""Questionnaire commands: ``gabacare questionnaire score INSTRUMENT --answers 0,1,2,…``.

The command parses the answers, calls :func:`gabacare.clinical.questionnaires.score` and renders the
result. The instruments are data (``knowledge/data/questionnaires.toml``); the help text names them
without loading it, so ``gabacare --help`` stays fast (a test keeps the two lists equal). Other areas
add their commands to :data:`questionnaire_app` (``questionnaire log`` stores a score in the journal).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from gabacare._cli.common import JsonOpt, citations_text, emit_json, guard, notice, shown, stdout_console

if TYPE_CHECKING:
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


def register(app: typer.Typer) -> None:
    """Add the ``questionnaire`` group to the CLI."""
    app.add_typer(questionnaire_app, name="questionnaire")
