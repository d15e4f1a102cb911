"""`fauxlab serve`: the web page and HTTP API (imported only when the command runs)."""

from __future__ import annotations

import ipaddress
import os
import socket
from pathlib import Path

import typer

from fauxlab.cli.output import stderr
from fauxlab.config import fauxlab_home
from fauxlab.detection import DetectorRecipe, default_names
from fauxlab.errors import InputError
from fauxlab.media.images import DEFAULT_MAX_PIXELS

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
    ledger: str | None = typer.Option(
        None, "--ledger", help="Ledger file or postgresql:// URL (default: yours)."
    ),
    detectors: str | None = typer.Option(
        None, "--detectors", help="Comma-separated detector names (default: every one available)."
    ),
    worker_memory_mb: int = typer.Option(
        3072, "--worker-memory-mb", help="Memory one job may use beyond its models (0: no limit)."
    ),
    job_timeout: float = typer.Option(
        600, "--job-timeout", help="Seconds one job may run before its worker is killed (0: none)."
    ),
    max_pixels: int = typer.Option(DEFAULT_MAX_PIXELS, "--max-pixels", help="Largest frame."),
    max_video_seconds: float = typer.Option(
        1800, "--max-video-seconds", help="Longest video analysed."
    ),
    keep_days: float = typer.Option(
        30, "--keep-days", help="Days results, thumbnails and figures are kept (0: forever)."
    ),
    allowed_host: list[str] = typer.Option(
        [], "--allowed-host", help="A host name clients may use besides loopback (repeatable)."
    ),
    upload_timeout: float = typer.Option(
        30, "--upload-timeout", help="Seconds an upload may send nothing before it is cut off."
    ),
    max_connections: int = typer.Option(
        64, "--max-connections", help="Open connections at most; more answer 503."
    ),
    keys: Path | None = typer.Option(
        None,
        "--keys",
        envvar="FAUXLAB_API_KEYS",
        help="API keys file (`fauxlab serve-keys add`): /api/ then needs a bearer key. "
        "Required off loopback.",
    ),
    rate_limit: int = typer.Option(
        120, "--rate-limit", help="Requests per minute per API key (0: no limit)."
    ),
) -> None:
    """Serve the web page and the HTTP API (OpenAPI docs at /api/docs)."""
    if not 0 < port < 65536:
        raise InputError(f"--port {port}: choose a port between 1 and 65535")
    if max_upload_mb < 1 or workers < 1 or queue < 0:
        raise InputError("--max-upload-mb and --workers must be at least 1, --queue at least 0")
    if worker_memory_mb < 0 or job_timeout < 0 or keep_days < 0:
        raise InputError("--worker-memory-mb, --job-timeout and --keep-days cannot be negative")
    if max_pixels < 1 or max_video_seconds <= 0 or max_connections < 1:
        raise InputError("--max-pixels, --max-video-seconds and --max-connections must be positive")
    if rate_limit < 0:
        raise InputError("--rate-limit cannot be negative (0: no limit)")
    if 0 < worker_memory_mb < 256:
        raise InputError("--worker-memory-mb: give a worker at least 256 MB (or 0: no limit)")
    folder = data or fauxlab_home() / "serve"
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: is a file; --data needs a folder")
    if keys is None and not _is_loopback(host):
        raise InputError(
            f"--host {host} is not loopback: give API keys with --keys FILE (or "
            "FAUXLAB_API_KEYS); create them with `fauxlab serve-keys add NAME --keys FILE`"
        )
    recipe = _recipe(detectors)
    from fauxlab.web.keys import load_keys

    api_keys = tuple(load_keys(keys).items()) if keys is not None else ()
    _check_port_free(host, port)
    import uvicorn

    from fauxlab.provenance.context import Provenance
    from fauxlab.web.app import create_app
    from fauxlab.web.protocol import with_head_deadline
    from fauxlab.web.settings import LOOPBACK_NAMES, ServeSettings
    from fauxlab.web.store import AnalysisStore

    hosts = (*LOOPBACK_NAMES, host.lower(), *(h.strip().lower() for h in allowed_host))
    settings = ServeSettings(
        data_dir=folder,
        max_upload_bytes=max_upload_mb * MB,
        workers=workers,
        queue_size=queue,
        provenance=Provenance.default(ledger),
        recipe=recipe,
        worker_memory_mb=worker_memory_mb,
        job_timeout_s=job_timeout,
        max_pixels=max_pixels,
        max_video_seconds=max_video_seconds,
        keep_days=keep_days,
        upload_idle_s=upload_timeout,
        allowed_hosts=tuple(dict.fromkeys(h for h in hosts if h)),
        api_keys=api_keys,
        rate_limit=rate_limit,
    )
    os.umask(0o077)  # uploads, the database and its journals: for this user only
    AnalysisStore(settings.database).close()  # a damaged database: one line now, not at start-up
    stderr.print(f"fauxlab serving http://{host}:{port}/ (data in {folder})", highlight=False)
    if api_keys:
        stderr.print(
            f"{len(api_keys)} API key(s): /api/ needs 'Authorization: Bearer KEY'; the web "
            "page is for loopback use without keys",
            highlight=False,
        )
    app = create_app(settings)
    try:
        uvicorn.run(
            app,
            host=host,
            port=port,
            log_level="warning",
            http=with_head_deadline(upload_timeout),  # a silent connection is closed
            limit_concurrency=max_connections,  # stalled clients cannot hold every socket
            timeout_keep_alive=5,
            timeout_graceful_shutdown=5,
        )
    finally:  # a second Ctrl-C skips the app's shutdown: end the workers here instead
        runner = getattr(app.state, "runner", None)
        if runner is not None:
            runner.close()


keys_app = typer.Typer(help="API keys for `fauxlab serve --keys`.", no_args_is_help=True)


@keys_app.command("add")
def add_key(
    name: str = typer.Argument(..., help="Who the key is for (letters, digits, _ . @ -)."),
    keys: Path = typer.Option(
        ..., "--keys", envvar="FAUXLAB_API_KEYS", help="Keys file (created if missing)."
    ),
) -> None:
    """Create a random key, print it once, and append only its SHA-256 to the keys file."""
    from fauxlab.web.keys import add_key as append

    key = append(keys, name)
    print(key)
    stderr.print(
        f"key {name!r} added to {keys} (only its hash is stored: keep the key now)",
        highlight=False,
    )
