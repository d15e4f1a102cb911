"""`fauxlab media`: look inside image and video files."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import typer

from fauxlab.cli.output import print_json, stdout
from fauxlab.media import MediaKind, media_kind, probe_video, read_image
from fauxlab.media.images import DEFAULT_MAX_PIXELS

app = typer.Typer(help="Inspect media files.", no_args_is_help=True)


@app.command("info")
def info(
    path: Path = typer.Argument(..., help="An image or video file."),
    max_pixels: int = typer.Option(DEFAULT_MAX_PIXELS, help="Refuse media larger than this."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Size, duration, codecs and audio of a file, read without processing it."""
    kind = media_kind(path)
    if kind is MediaKind.IMAGE:
        height, width = read_image(path, max_pixels).shape[:2]
        data: dict[str, object] = {
            "path": str(path),
            "kind": "image",
            "width": width,
            "height": height,
        }
    else:
        data = {"kind": "video", **asdict(probe_video(path, max_pixels))}
        data["path"] = str(path)
    if as_json:
        print_json(data)
        return
    for key, value in data.items():
        stdout.print(f"[bold]{key:>12}[/]  {value}", highlight=False)
