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
) -> None:
    """Serve GabaCare in the browser at http://HOST:PORT (Ctrl+C stops it)."""
    import logging

    try:
        import uvicorn
    except ImportError:  # pragma: no cover - uvicorn is a core dependency
        fail("uvicorn is not installed: pip install uvicorn", 1)
    from gabacare.web import create_app

    level = log_level.upper()
    if level not in ("CRITICAL", "ERROR", "WARNING", "INFO", "DEBUG"):
        fail(f"--log-level must be one of critical, error, warning, info, debug; got {log_level!r}")
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    typer.echo(f"GabaCare on http://{host}:{port}  (Ctrl+C to stop)", err=True)
    uvicorn.run(create_app(), host=host, port=port, access_log=False, log_level=log_level.lower(),
                server_header=False, proxy_headers=False)


def register(app: typer.Typer) -> None:
    """Add ``serve`` to the CLI."""
    app.command("serve")(serve)
