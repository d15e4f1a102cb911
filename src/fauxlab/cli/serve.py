"""`fauxlab serve`: the web page and HTTP API (imported only when the command runs)."""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

import typer

from fauxlab.cli.output import stderr
from fauxlab.config import fauxlab_home
from fauxlab.detection import DetectorRecipe, default_names
from fauxlab.errors import InputError

MB = 1024 * 1024


def _check_port_free(host: str, port: int) -> None:
    """Say 'port in use' in one line, before loading any model."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise InputError(
                f"cannot listen on {host}:{port} ({exc.strerror or exc}); choose another --port"
            ) from exc


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _recipe(detectors: str | None) -> DetectorRecipe:
    """The detectors each worker loads; unknown names are refused before anything starts."""
    if detectors is None:
        return DetectorRecipe()
    names = tuple(n.strip() for n in detectors.split(",") if n.strip())
    known = default_names()
    unknown = [n for n in names if n not in known]
    if not names or unknown:
        raise InputError(f"--detectors: choose from {', '.join(known)}")
    return DetectorRecipe(names)


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on (loopback)."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    data: Path | None = typer.Option(
        None, "--data", help="Folder for the jobs database and uploads (default: HOME/serve)."
    ),
    max_upload_mb: int = typer.Option(200, "--max-upload-mb", help="Largest upload accepted."),
    workers: int = typer.Option(1, "--workers", help="Analyses run at once (one process each)."),
    queue: int = typer.Option(16, "--queue", help="Analyses that may wait; more answer 429."),
    ledger: Path | None = typer.Option(None, "--ledger", help="Ledger file (default: yours)."),
    detectors: str | None = typer.Option(
        None, "--detectors", help="Comma-separated detector names (default: every one available)."
    ),
) -> None:
    """Serve the web page and the HTTP API (OpenAPI docs at /api/docs)."""
    if not 0 < port < 65536:
        raise InputError(f"--port {port}: choose a port between 1 and 65535")
    if max_upload_mb < 1 or workers < 1 or queue < 0:
        raise InputError("--max-upload-mb and --workers must be at least 1, --queue at least 0")
    folder = data or fauxlab_home() / "serve"
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: is a file; --data needs a folder")
    recipe = _recipe(detectors)
    _check_port_free(host, port)
    if not _is_loopback(host):
        stderr.print(
            f"warning: listening on {host}, not loopback: anyone who can reach this machine "
            "can upload files; put it behind an authenticating proxy",
            highlight=False,
        )
    import uvicorn

    from fauxlab.provenance.context import Provenance
    from fauxlab.web.app import create_app
    from fauxlab.web.settings import ServeSettings
    from fauxlab.web.store import AnalysisStore

    settings = ServeSettings(
        data_dir=folder,
        max_upload_bytes=max_upload_mb * MB,
        workers=workers,
        queue_size=queue,
        provenance=Provenance.default(ledger),
        recipe=recipe,
    )
    AnalysisStore(settings.database).close()  # a damaged database: one line now, not at start-up
    stderr.print(f"fauxlab serving http://{host}:{port}/ (data in {folder})", highlight=False)
    app = create_app(settings)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:  # a second Ctrl-C skips the app's shutdown: end the workers here instead
        runner = getattr(app.state, "runner", None)
        if runner is not None:
            runner.close()
