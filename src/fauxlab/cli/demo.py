"""`fauxlab demo`: the README's main job."""

from __future__ import annotations

from pathlib import Path

import typer

from fauxlab.cli.output import print_json, stderr, stdout


def demo(
    out: Path = typer.Option(
        Path("demo-output"), "--out", "-o", help="Folder for the page and its media."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the demo's numbers as JSON."),
) -> None:
    """Run fauxlab on media it may ship and write an HTML page of what it found."""
    from fauxlab.demo import run_demo  # imports torch: only when the demo runs

    with stderr.status("running the demo..."):
        result = run_demo(out)
    if as_json:
        print_json({"page": str(result.page), **result.facts})
    else:
        stdout.print(f"demo page: {result.page}")
