"""How commands speak: rich text for people, JSON for programs, progress on stderr."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

stdout = Console()
stderr = Console(stderr=True)


def print_json(data: Any) -> None:
    """Plain JSON on stdout (no colour codes), so `--json | jq` always works."""
    print(json.dumps(data, indent=2, default=str))


def progress_bar() -> Progress:
    """A progress bar on stderr; it hides itself when stderr is not a terminal."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
        disable=not stderr.is_terminal,
    )


def say_checkpoint_kept(command: str, run: Path) -> None:
    """After Ctrl-C or SIGTERM in a trainer: where to go on from, if a checkpoint exists."""
    if (run / "checkpoints" / "latest.json").is_file():
        stderr.print(
            f"interrupted; checkpoint saved: `fauxlab {command} --out {run} --resume "
            "--minutes M` goes on from it",
            highlight=False,
            soft_wrap=True,
        )
