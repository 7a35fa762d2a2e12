"""``gabacare serve``: run the web app (pages and the ``/api/v1`` JSON API) with uvicorn.

uvicorn and FastAPI are imported when the command runs, so ``gabacare --help`` stays fast. The
access log is GabaCare's own (method, path, status; never the query string), not uvicorn's.
"""

from __future__ import annotations

from typing import Annotated

import typer

from gabacare._cli.common import fail

__all__ = ["register"]


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")] = 8000,
    log_level: Annotated[str, typer.Option("--log-level", help="critical, error, warning, info or debug.")] = "info",
    workers: Annotated[int, typer.Option(
        "--workers", min=1, max=64,
        help="Worker processes, each a full copy of the app sharing the port and the database. With more than "
             "one, every worker signs forms with the same key: $GABACARE_SECRET_KEY, else the key file kept "
             "beside a SQLite journal (so open forms outlive a restart), else one made for this run.",
    )] = 1,
) -> None:
    """Serve GabaCare in the browser at http://HOST:PORT (Ctrl+C stops it)."""
    import logging
    import os

    try:
        import uvicorn
    except ImportError:  # pragma: no cover - uvicorn is a core dependency
        fail("uvicorn is not installed: pip install uvicorn", 1)
    from gabacare.web import create_served_app

    level = log_level.upper()
    if level not in ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"):
        fail(f"--log-level must be one of critical, error, warning, info, debug; got {log_level!r}")
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    typer.echo(f"GabaCare on http://{host}:{port}  (Ctrl+C to stop)", err=True)
    options = {"host": host, "port": port, "access_log": False, "log_level": log_level.lower(),
               "server_header": False, "proxy_headers": False}
    if workers == 1:
        uvicorn.run(create_served_app(), **options)  # type: ignore[arg-type]
        return
    # Each worker process builds its own app from the factory; they must agree on the key that signs
    # forms, or a form served by one worker is refused by the next ("form expired or forged").
    # form_key() reads (or first makes) the key file beside a SQLite journal: the workers read the same
    # file, and so does the next run, so forms open across a restart stay valid. Only when there is no
    # such file (PostgreSQL, an unwritable directory) and no GABACARE_SECRET_KEY does this run make one,
    # handed to the workers through the environment they inherit, never the command line.
    from pydantic import ValidationError

    from gabacare.web.settings import WebSettings, form_key

    try:
        settings = WebSettings()
    except ValidationError as exc:
        fail(f"bad GABACARE_* setting: {exc.errors()[0].get('loc', ('?',))[0]}: {exc.errors()[0].get('msg', '')}")
    run_key = settings.secret_key.get_secret_value()
    if form_key(settings) == run_key and "GABACARE_SECRET_KEY" not in os.environ:
        os.environ["GABACARE_SECRET_KEY"] = run_key
    typer.echo(f"  {workers} worker processes", err=True)
    uvicorn.run("gabacare.web:create_served_app", factory=True, workers=workers, **options)  # type: ignore[arg-type]


def demo_seed(
    db: Annotated[str | None, typer.Option(
        "--db", help="SQLAlchemy URL of the database (default: $GABACARE_DB, else the user data directory).",
        show_default=False)] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object (for scripts).")] = False,
) -> None:
    """Create the demo account and its two demo patients (one titrating, with three weeks of journal and a
    measured level; one tapering, with a withdrawal flare) unless they exist; demo use only."""
    from gabacare._cli.common import emit_json, guard
    from gabacare.web.demo import DEMO_EMAIL, DEMO_PASSWORD, seed_demo

    with guard():
        seeded = seed_demo(db)
    if json_out:
        emit_json({"email": DEMO_EMAIL, "password": DEMO_PASSWORD, "user_id": seeded.user_id,
                   "patient_id": seeded.patient_id, "created": seeded.created, "doses": seeded.doses,
                   "scores": seeded.scores, "taper_patient_id": seeded.taper_patient_id})
        return
    what = (f"created: {seeded.doses} doses and {seeded.scores} scores" if seeded.created else "already there")
    typer.echo(f"Demo journal {what}.\n"
               f"  Sign in with {DEMO_EMAIL} / {DEMO_PASSWORD}  (DEMO ONLY: a public password, for this machine)")


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``demo-seed`` to the CLI."""
    app.command("serve")(serve)
    app.command("demo-seed")(demo_seed)
