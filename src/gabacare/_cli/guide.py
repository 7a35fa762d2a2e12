"""Patient-guide commands: compare (alternatives side by side) and ask (questions in your own words).

Each command parses its arguments, calls one use case of :mod:`gabacare.app` (the same call the
web's pages and API make) and renders the result. Human output puts a recognised symptom first (an
emergency in red above everything else), shows the citations with every answer and ends with the
notice.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from gabacare._cli.common import JsonOpt, citations_text, emit_json, guard, notice, stdout_console

if TYPE_CHECKING:
    from gabacare.clinical import InteractionReport, TriageReport
    from gabacare.guide import Comparison

__all__ = ["register"]


_LINE_STYLE = {"first": "green", "second": "cyan", "third": "yellow", "specialist": "magenta", "not-recommended": "red"}
_RISK_STYLE = {"low": "green", "moderate": "yellow", "high": "red"}
_URGENCY = {
    "emergency": ("bold white on red", "EMERGENCY", "red"),
    "contact_prescriber": ("yellow", "CONTACT PRESCRIBER", "yellow"),
    "expected": ("green", "EXPECTED", "green"),
    None: ("magenta", "NOT RECOGNISED", "magenta"),
}
_SEVERITY = {"major": "red", "moderate": "yellow", "minor": "cyan", "none": "green"}
_NOT_CONFIRMED = "[dim]not confirmed[/dim]"


def _render_comparison(table_data: Comparison) -> None:
    from rich.table import Table

    console = stdout_console()
    table = Table(title=f"{table_data.title}: gabapentin and alternatives", show_lines=True)
    for name in ("Option", "Guideline rank", "Helps within", "Dependence", "Kidneys", "With gabapentin", "Effects", "Sources"):
        table.add_column(name, overflow="fold")
    for o in table_data.options:
        brands = f"\n[dim]{', '.join(o.brands)}[/dim]" if o.brands else ""
        line = o.line if o.ranked else "not ranked"
        style = _LINE_STYLE[o.line] if o.ranked else "dim"
        rank = f"[{style}]{line}[/]\n{o.line_note}\n[dim]{citations_text(o.line_citations)}[/dim]"
        onset = o.onset if o.onset is not None else _NOT_CONFIRMED
        risk = ("[dim]not confirmed:[/dim] " if "dependence_risk" in o.unverified else "") + (
            f"[{_RISK_STYLE[o.dependence_risk]}]{o.dependence_risk}[/]\n{o.dependence_note}")
        kidneys = (_NOT_CONFIRMED if "renal_adjustment" in o.unverified
                   else ("dose adjusted" if o.renal_adjustment else "no kidney adjustment")) + f"\n{o.renal_note}"
        if o.interaction is not None:
            sev = o.interaction.severity or "none"
            withg = f"[{_SEVERITY[sev]}]{sev} / {o.interaction.action}[/]\n{o.interaction.effect}\n{o.interaction.advice}"
        else:
            withg = o.with_gabapentin if o.with_gabapentin is not None else ("—" if o.drug == "gabapentin" else _NOT_CONFIRMED)
        effects = ", ".join(o.common_side_effects) + (
            "\n[bold]Serious:[/bold] " + "; ".join(o.serious_risks) if o.serious_risks else "")
        table.add_row(f"[bold]{o.drug}[/bold]{brands}\n{o.drug_class}\n[dim]{o.how_it_works}[/dim]", rank, onset, risk,
                      kidneys, withg, effects, citations_text(o.citations))
    console.print(table)
    console.print(f"{table_data.note} [dim]({citations_text(table_data.note_citations)})[/dim]")
    console.print(f"[italic]{notice()}[/italic]")


def compare_cmd(
    drugs: Annotated[list[str] | None, typer.Argument(help="Optional medicines to compare with gabapentin.")] = None,
    indication: Annotated[str, typer.Option(
        "--indication",
        help="spasticity, neuropathic-pain or anxiety "
        "(pain indications such as postherpetic-neuralgia resolve to neuropathic-pain).",
    )] = "",
    json_out: JsonOpt = False,
) -> None:
    """Gabapentin and its alternatives side by side, with guideline ranks and citations."""
    with guard():
        from gabacare.app import compare

        result = compare(indication, drugs)
        if json_out:
            emit_json(result)
            return
        _render_comparison(result)


def _render_triage(console: Any, report: TriageReport) -> None:
    from rich.panel import Panel

    for r in report.results:
        if not r.recognized:
            continue
        style, word, border = _URGENCY[r.urgency]
        body = f"{r.advice}\n[dim]{r.title} — {citations_text(r.citations)}[/dim]"
        console.print(Panel(body, title=f"[{style}]{word}[/]", border_style=border))


def _render_interactions(console: Any, report: InteractionReport) -> None:
    from rich.panel import Panel

    lines = []
    for r in report.results:
        if r.known:
            sev = r.severity or "none"
            lines.append(f"[bold]{r.input}[/bold] ({r.class_title}): [{_SEVERITY[sev]}]{sev} / {r.action}[/] — "
                         f"{r.effect} {r.advice} [dim]({citations_text(r.citations)})[/dim]")
        else:
            lines.append(f"[bold]{r.input}[/bold]: [magenta]unknown[/magenta] — {r.advice}")
    console.print(Panel("\n".join(lines), title="With gabapentin", border_style="yellow"))


def ask_cmd(
    question: Annotated[list[str], typer.Argument(help="Your question in your own words, e.g. 'can I drink alcohol?'.")],
    json_out: JsonOpt = False,
) -> None:
    """Answer a question from GabaCare's cited patient guide (symptoms and interactions first)."""
    with guard():
        from gabacare.app import ask

        result = ask(question)
        if json_out:
            emit_json(result)
            return
        from rich.panel import Panel

        console = stdout_console()
        if result.triage is not None:
            _render_triage(console, result.triage)
        if result.interactions is not None:
            _render_interactions(console, result.interactions)
        for a in result.answers:
            body = f"[bold]{a.summary}[/bold]\n\n{a.text}\n[dim]Sources: {citations_text(a.citations)}[/dim]"
            console.print(Panel(body, title=f"{a.title} [dim]({a.topic})[/dim]", border_style="blue"))
        if result.message:
            console.print(f"[bold]{result.message}[/bold]")
        console.print(f"[italic]{notice()}[/italic]")


def register(app: typer.Typer) -> None:
    """Add the patient-guide commands to the CLI."""
    app.command("compare")(compare_cmd)
    app.command("ask")(ask_cmd)
