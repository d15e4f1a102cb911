"""`fauxlab faces`: find, track, align and extract faces."""

from __future__ import annotations

from pathlib import Path

import typer

from fauxlab.cli.output import print_json, progress_bar, stderr, stdout
from fauxlab.errors import InputError, OutputExistsError
from fauxlab.faces import BACKEND_NAMES, ExtractSettings, FaceOptions, extract_faces, faces_in_file
from fauxlab.faces.draw import annotate, contact_sheet
from fauxlab.media import MediaKind, Sampling, VideoWriter, expand_inputs, media_kind, probe_video
from fauxlab.media import write_image as save_image
from fauxlab.media.images import DEFAULT_MAX_PIXELS

app = typer.Typer(help="Detect, track, align and extract faces.", no_args_is_help=True)

BACKEND_HELP = f"Face backend: {', '.join(BACKEND_NAMES)}."
MAX_PIXELS_HELP = "Refuse images or frames larger than this many pixels (decompression bombs)."


def _sampling(sample: str, fps: float | None) -> Sampling:
    try:
        return Sampling("fps", fps) if fps is not None else Sampling.parse(sample)
    except ValueError as exc:
        raise InputError(str(exc)) from exc


def _check_backend(name: str) -> None:
    if name not in BACKEND_NAMES:
        raise InputError(f"unknown backend {name!r}; choose one of {', '.join(BACKEND_NAMES)}")


@app.command("extract")
def extract(
    inputs: list[Path] = typer.Argument(
        ..., help="Images, videos or folders (searched recursively)."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Folder for crops and faces.jsonl."),
    size: int = typer.Option(256, help="Side of each aligned crop in pixels (64 to 512)."),
    margin: float = typer.Option(
        0.25, help="Share of the crop left around the inner face on each side."
    ),
    fps: float | None = typer.Option(None, help="Sample video at this many frames per second."),
    sample: str = typer.Option("all", help="Video frames: all, every:N, count:N or fps:F."),
    backend: str = typer.Option("mediapipe", help=BACKEND_HELP),
    max_faces: int = typer.Option(2, help="Most faces tracked per frame."),
    max_pixels: int = typer.Option(DEFAULT_MAX_PIXELS, help=MAX_PIXELS_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Aligned face crops (PNG) and faces.jsonl; run again to resume where it stopped.

    Exits 1 if no input had a face.
    """
    _check_backend(backend)
    if not 16 <= size <= 1024:
        raise InputError(f"--size must be between 16 and 1024, got {size}")
    if not 0 <= margin < 0.5:
        raise InputError(f"--margin must be in [0, 0.5), got {margin}")
    sources = expand_inputs(inputs)
    if not sources:
        raise InputError("no image or video found in the given inputs")
    settings = ExtractSettings(size=size, margin=margin, backend=backend, max_faces=max_faces)
    with progress_bar() as bar:
        task = bar.add_task("extracting", total=len(sources))
        last: list[Path] = []

        def advance(source: Path, frames: int) -> None:
            if not last or last[0] != source:
                if last:
                    bar.advance(task)
                last[:] = [source]
            bar.update(task, description=f"{source.name} frame {frames}")

        summary = extract_faces(
            sources, out, settings, _sampling(sample, fps), advance, max_pixels=max_pixels
        )
    if as_json:
        print_json(summary.to_dict())
    else:
        stdout.print(
            f"{summary.faces_written} faces written to {out} from {summary.sources} files "
            f"({summary.frames} frames); {summary.faces_already_present} already there, "
            f"{summary.sources_already_done} files already done."
        )
        for source in summary.sources_without_face:
            stderr.print(f"no face found: {source}", highlight=False)
    if summary.faces_written + summary.faces_already_present == 0:
        raise typer.Exit(1)


@app.command("show")
def show(
    path: Path = typer.Argument(..., help="An image or video."),
    out: Path = typer.Option(
        ..., "--out", "-o", help="PNG (image or contact sheet) or MP4 (annotated video)."
    ),
    frames: int = typer.Option(8, help="Frames on a video's contact sheet."),
    backend: str = typer.Option("mediapipe", help=BACKEND_HELP),
    max_faces: int = typer.Option(2, help="Most faces tracked per frame."),
    max_pixels: int = typer.Option(DEFAULT_MAX_PIXELS, help=MAX_PIXELS_HELP),
    as_json: bool = typer.Option(False, "--json", help="Also print the faces found as JSON."),
) -> None:
    """Draw boxes, landmarks and track ids for a visual check. Exits 1 if no face is found."""
    _check_backend(backend)
    if out.exists():
        raise OutputExistsError(f"{out}: already exists; choose another path or remove it first")
    if out.suffix.lower() not in {".png", ".jpg", ".jpeg", ".webp", ".mp4"}:
        raise InputError(f"{out}: write a .png (picture) or .mp4 (annotated video)")
    options = FaceOptions(backend=backend, max_faces=max_faces, max_pixels=max_pixels)
    kind = media_kind(path)
    found: list[dict[str, object]] = []
    if out.suffix.lower() == ".mp4":
        if kind is not MediaKind.VIDEO:
            raise InputError(f"{path}: an annotated .mp4 needs a video input; use a .png output")
        info = probe_video(path, max_pixels)
        with VideoWriter(out, info.fps, audio_from=path) as writer, progress_bar() as bar:
            task = bar.add_task("annotating", total=info.frame_count or None)
            for frame in faces_in_file(path, None, options):
                writer.write(annotate(frame.image, frame.faces), frame.time)
                found.extend({"frame": frame.index, **f.to_dict()} for f in frame.faces)
                bar.advance(task)
    else:
        chosen = None
        if kind is MediaKind.VIDEO:
            info = probe_video(path, max_pixels)
            chosen = Sampling("count", frames).selector(info.duration, info.frame_count)
        pictures = []
        for frame in faces_in_file(path, None, options):
            if chosen is None or chosen.wants(frame.index, frame.time):
                label = f"t={frame.time:.2f}s" if kind is MediaKind.VIDEO else None
                pictures.append(annotate(frame.image, frame.faces, label))
                found.extend({"frame": frame.index, **f.to_dict()} for f in frame.faces)
        picture = pictures[0] if kind is MediaKind.IMAGE else contact_sheet(pictures)
        save_image(out, picture)
    if as_json:
        print_json({"path": str(path), "out": str(out), "faces": found})
    else:
        tracks = sorted({int(str(f["track_id"])) for f in found})
        stdout.print(f"{len(found)} faces ({len(tracks)} tracks) drawn to {out}")
    if not found:
        stderr.print(f"no face found in {path}", highlight=False)
        raise typer.Exit(1)
