"""``make run`` demo: a titration plan, a renal check and an interaction check, printed by the CLI.

Runs the real commands in-process so the demo shows exactly what a user would see.
"""

from __future__ import annotations

import sys

from gabacare.cli import app

__all__ = ["main"]

STEPS: tuple[tuple[str, list[str]], ...] = (
    ("Titration for nerve-related muscle spasms, kidney function normal",
     ["titrate", "--indication", "spasticity", "--start", "2026-01-05", "--crcl", "85"]),
    ("Kidney function of an 80-year-old woman, 60 kg, creatinine 1.4 mg/dL",
     ["crcl", "--age", "80", "--sex", "female", "--weight-kg", "60", "--scr", "1.4"]),
    ("What that means for the dose (and with hemodialysis)",
     ["limits", "--crcl", "30", "--hemodialysis"]),
    ("Checking an order of 600 mg three times a day at CrCl 30",
     ["check", "600 mg TID", "--crcl", "30"]),
    ("Interactions with other medicines and alcohol",
     ["interactions", "Percocet", "Xanax", "beer", "ibuprofen"]),
)


def main() -> None:
    """Print each demo step with its heading."""
    from rich.console import Console
    from rich.rule import Rule

    console = Console()
    for title, args in STEPS:
        console.print(Rule(f"[bold]{title}[/bold]"))
        console.print(f"[dim]$ gabacare {' '.join(repr(a) if ' ' in a else a for a in args)}[/dim]")
        try:
            app(args, standalone_mode=False)
        except SystemExit as exc:  # a failing step should not hide the rest of the demo
            if exc.code:
                sys.exit(exc.code)


if __name__ == "__main__":
    main()
