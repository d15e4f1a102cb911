"""Tracing a sealed picture after repost edits: watermark and ledger look-up, new against old.

    .venv/bin/python benchmarks/watermark_edits.py [--data ../shared/data] [--faces 30]
        [--frames 1] [--null 300] [--videos 3] [--video-frames 24] [--baseline 814be95]
        [--null-only]

For each edit of issue 29's table (and its combinations), on UTKFace faces upscaled to 256
and to 512 px and one frame of each shared video at its own size: is the watermark found
(at FPR <= 1e-6, payload right), and would the ledger find the entry (by that watermark id,
or by a PDQ hash within 31 bits of the sealed picture's)? "new" is the decoder and look-up
of this tree; "old" is the decoder of `--baseline` (loaded from git into build/, so both
run in this process on the same pictures) with the look-up by the picture's own PDQ hash,
as verify did before. The ledger column applies verify's rule to the hashes directly
rather than through SQLite; tests/integration/test_seal_verify.py runs the real thing.

Then: false positives of both decoders on unmarked pictures (faces at 512 px, frames,
and letterboxed faces, which decode the most hypotheses), the threshold / false-positive
trade-off, read times, and video: marked clips whose every frame was edited, re-encoded
with H.264 at CRF 28, read pooled.
"""

from __future__ import annotations

import argparse
import collections
import importlib
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageEnhance, ImageOps

from _common import data_argument

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from fauxlab.media import Sampling, VideoWriter, iter_frames, probe_video
from fauxlab.provenance import watermark as wm
from fauxlab.provenance.phash import hamming, image_lookups, pdq_hex
from fauxlab.provenance.watermark._detect import HYPOTHESES
from repost_edits import crop as _crop
from repost_edits import jpeg as _jpeg
from repost_edits import mirror as _mirror
from repost_edits import pad as _pad
from repost_edits import rotate as _rotate
from repost_edits import screenshot as _screenshot

RGB = NDArray[np.uint8]
REPO = Path(__file__).resolve().parents[1]
PACKAGE = "src/fauxlab/provenance/watermark"
NEAR = 31  # PDQ's near-duplicate distance, as verify uses it


def _baseline(rev: str) -> ModuleType:
    """The watermark package as it was at `rev`, renamed so that it imports beside ours."""
    root = REPO / "build" / "bench-baseline" / rev
    package = root / "wm_baseline"
    package.mkdir(parents=True, exist_ok=True)
    names = subprocess.run(
        ["git", "-C", str(REPO), "ls-tree", "--name-only", rev, f"{PACKAGE}/"],
        check=True, capture_output=True, text=True,
    ).stdout.split()  # fmt: skip
    for name in names:
        text = subprocess.run(
            ["git", "-C", str(REPO), "show", f"{rev}:{name}"],
            check=True, capture_output=True, text=True,
        ).stdout  # fmt: skip
        text = text.replace("fauxlab.provenance.watermark", "wm_baseline")
        (package / Path(name).name).write_text(text)
    sys.path.insert(0, str(root))
    return importlib.import_module("wm_baseline")


# ---------------------------------------------------------------- edits
def _pil(image: RGB) -> Image.Image:
    return Image.fromarray(image)


def _array(image: Image.Image) -> RGB:
    return np.asarray(image.convert("RGB"))


EDITS: dict[str, Callable[[RGB], RGB]] = {
    "screenshot (0.6, crop, jpeg 70)": _screenshot,
    "jpeg 40": lambda im: _jpeg(im, 40),
    "greyscale": lambda im: _array(ImageOps.grayscale(_pil(im))),
    "saturation 0.5": lambda im: _array(ImageEnhance.Color(_pil(im)).enhance(0.5)),
    "contrast 1.3": lambda im: _array(ImageEnhance.Contrast(_pil(im)).enhance(1.3)),
    "rotate 1": lambda im: _rotate(im, 1),
    "rotate 2": lambda im: _rotate(im, 2),
    "rotate 5": lambda im: _rotate(im, 5),
    "mirror": _mirror,
    "crop 70% w x 90% h": lambda im: _crop(im, 0.9, 0.7),
    "pad to 16:9": lambda im: _pad(im, 16 / 9),
    "screenshot + mirror": lambda im: _mirror(_screenshot(im)),
    "pad 16:9 + jpeg 75": lambda im: _jpeg(_pad(im, 16 / 9), 75),
    "rotate 5 + crop 90%": lambda im: _crop(_rotate(im, 5), 0.9, 0.9),
    # beyond the table
    "rotate -10": lambda im: _rotate(im, -10),
    "pad to 9:16": lambda im: _pad(im, 9 / 16),
    "crop 55% w x 80% h": lambda im: _crop(im, 0.8, 0.55),
    "mirror + rotate 3 + jpeg 75": lambda im: _jpeg(_rotate(_mirror(im), 3), 75),
}
VIDEO_EDITS: dict[str, Callable[[RGB], RGB]] = {
    "none": lambda im: im,
    "mirror": _mirror,
    "pad to 16:9": lambda im: _pad(im, 16 / 9),
    "pad to 9:16": lambda im: _pad(im, 9 / 16),
    "rotate 2": lambda im: _rotate(im, 2),
}


# ---------------------------------------------------------------- pictures
def _faces(data: Path, count: int, offset: int = 0) -> list[RGB]:
    files = sorted((data / "faces" / "utkface").glob("*.jpg"))
    step = max(1, len(files) // max(count, 1))
    return [_array(Image.open(f)) for f in files[offset::step][:count]]


def _frames(data: Path, per_video: int) -> list[RGB]:
    return [
        frame.image
        for clip in sorted((data / "videos").glob("*.mp4"))
        for frame in iter_frames(clip, Sampling("count", per_video))
    ]


def _side(image: RGB, side: int) -> RGB:
    return cv2.resize(image, (side, side), interpolation=cv2.INTER_CUBIC)  # type: ignore[no-any-return]


def _payloads(seed: int) -> Iterator[int]:
    rng = np.random.default_rng(seed)
    while True:
        yield int(rng.integers(0, 2**32))


# ---------------------------------------------------------------- measuring
def _found(reading: object, payload: int) -> bool:
    return bool(getattr(reading, "found", False)) and getattr(reading, "payload", None) == payload


def _rate(values: list[bool]) -> str:
    return f"{np.mean(values):.2f}" if values else "n/a"


def _ratio(new: list[bool], old: list[bool]) -> str:
    a, b = float(np.mean(new)), float(np.mean(old))
    return f"{a / b:.2f}" if b > 0 else ("inf" if a > 0 else "-")


def _pictures(args: argparse.Namespace) -> list[tuple[str, RGB]]:
    faces = _faces(args.data, args.faces)
    pictures = [("256", _side(f, 256)) for f in faces] + [("512", _side(f, 512)) for f in faces]
    return pictures + [("frame", f) for f in _frames(args.data, args.frames)]


def _edits(old: ModuleType, pictures: list[tuple[str, RGB]]) -> None:
    print(
        f"\n{'edit':32}{'wm new':>8}{'@256':>6}{'wm old':>8}{'ratio':>7}"
        f"{'ledger new':>12}{'old':>6}{'ratio':>7}  new: undone (most often)"
    )
    new_ms: list[float] = []
    old_ms: list[float] = []
    scores: list[float] = []
    for edit, apply in EDITS.items():
        wm_new, wm_old, at256, led_new, led_old = [], [], [], [], []
        undone: collections.Counter[str] = collections.Counter()
        for (label, image), payload in zip(pictures, _payloads(29), strict=False):
            marked = wm.embed(image, payload)
            sealed_pdq = pdq_hex(marked)
            edited = apply(marked)
            start = time.perf_counter()
            new = wm.extract(edited)
            middle = time.perf_counter()
            previous = old.extract(edited)
            new_ms.append(1000 * (middle - start))
            old_ms.append(1000 * (time.perf_counter() - middle))
            scores.append(new.score if new.decoded == payload else -1.0)
            wm_new.append(_found(new, payload))
            wm_old.append(_found(previous, payload))
            if label == "256":
                at256.append(wm_new[-1])
            near_new = min(hamming(h, sealed_pdq) for _, h in image_lookups(edited)) <= NEAR
            near_old = hamming(pdq_hex(edited), sealed_pdq) <= NEAR
            led_new.append(wm_new[-1] or near_new)
            led_old.append(wm_old[-1] or near_old)
            if new.found:
                undone[", ".join(new.undone) or "nothing"] += 1
        common = undone.most_common(1)[0][0] if undone else ""
        print(
            f"{edit:32}{_rate(wm_new):>8}{_rate(at256):>6}{_rate(wm_old):>8}"
            f"{_ratio(wm_new, wm_old):>7}{_rate(led_new):>12}{_rate(led_old):>6}"
            f"{_ratio(led_new, led_old):>7}  {common}",
            flush=True,
        )
    print(
        f"read time of an edited picture (all edits, median): new {np.median(new_ms):.0f} ms, "
        f"old {np.median(old_ms):.0f} ms"
    )
    _EDITED_SCORES.extend(scores)


_EDITED_SCORES: list[float] = []  # new decoder, each edited picture: score, -1 if wrong payload


def _null(old: ModuleType, args: argparse.Namespace) -> None:
    faces = [_side(f, 512) for f in _faces(args.data, args.null, offset=1)]
    frames = _frames(args.data, 3)
    padded = [_pad(f, 16 / 9) for f in faces[::4]]
    unmarked = faces + frames + padded
    new_scores, old_scores, new_ms, old_ms, decoded = [], [], [], [], []
    new_pdq, old_pdq = [], []
    for image in unmarked:
        start = time.perf_counter()
        reading = wm.extract(image)
        middle = time.perf_counter()
        previous = old.extract(image)
        new_ms.append(1000 * (middle - start))
        old_ms.append(1000 * (time.perf_counter() - middle))
        start = time.perf_counter()
        image_lookups(image)
        middle = time.perf_counter()
        pdq_hex(image)
        new_pdq.append(1000 * (middle - start))
        old_pdq.append(1000 * (time.perf_counter() - middle))
        new_scores.append(reading.score)
        old_scores.append(previous.score)
        decoded.append(reading.hypotheses)
    new_arr, old_arr = np.array(new_scores), np.array(old_scores)
    print(
        f"\nunmarked: {len(unmarked)} pictures ({len(faces)} faces at 512 px, {len(frames)} "
        f"video frames, {len(padded)} of the faces padded to 16:9)"
    )
    print(
        f"  new: {int((new_arr >= wm.THRESHOLD).sum())} false positives (threshold "
        f"{wm.THRESHOLD:.2f}, set for {HYPOTHESES} hypotheses; decoded at most "
        f"{max(decoded)}); null score median {np.median(new_arr):.2f}, max {new_arr.max():.2f}"
    )
    print(
        f"  old: {int((old_arr >= old.THRESHOLD).sum())} false positives (threshold "
        f"{old.THRESHOLD:.2f}); null score median {np.median(old_arr):.2f}, "
        f"max {old_arr.max():.2f}"
    )
    face_new, face_old = np.median(new_ms[: len(faces)]), np.median(old_ms[: len(faces)])
    print(
        f"  blind read of an unmarked 512 px face (median): new {face_new:.0f} ms, old "
        f"{face_old:.0f} ms, ratio {face_new / face_old:.2f}; over all unmarked: new "
        f"{np.median(new_ms):.0f} ms, old {np.median(old_ms):.0f} ms"
    )
    verify_new = np.median(new_ms[: len(faces)]) + np.median(new_pdq[: len(faces)])
    verify_old = np.median(old_ms[: len(faces)]) + np.median(old_pdq[: len(faces)])
    print(
        f"  PDQ look-up hashes of a 512 px face: new {np.median(new_pdq):.1f} ms (8 dihedral, "
        f"16 with bars), old {np.median(old_pdq):.1f} ms (1); verify's watermark + PDQ part: "
        f"new {verify_new:.0f} ms, old {verify_old:.0f} ms, ratio {verify_new / verify_old:.2f}"
    )
    if not _EDITED_SCORES:
        return
    edited = np.array(_EDITED_SCORES)
    print("\nthreshold trade-off (new decoder; bound = 256 * 2^32 * exp(-t^2 / 2)):")
    print(f"{'t':>6}{'FPR bound':>12}{'unmarked >= t':>15}{'edited found':>14}")
    for t in (8.0, 8.5, 8.96, wm.THRESHOLD, 9.5, 10.0, 11.0):
        bound = min(1.0, HYPOTHESES * 2.0**32 * math.exp(-(t**2) / 2))
        print(
            f"{t:6.2f}{bound:12.1e}{int((new_arr >= t).sum()):>9} / {len(new_arr):<4}"
            f"{np.mean(edited >= t):>14.3f}"
        )
    print(
        "  (edited found: share of all edited pictures above whose best score passes t "
        "with the right payload; the staged search stops at 9.12, so scores just above "
        "it can understate what a lower threshold would keep)"
    )


def _video(old: ModuleType, args: argparse.Namespace) -> None:
    clips = sorted((args.data / "videos").glob("*.mp4"))[: args.videos]
    print(
        f"\nvideo: {len(clips)} clips x {args.video_frames} frames, every frame edited, "
        "H.264 CRF 28, read pooled"
    )
    print(f"{'edit':16}{'new':>6}{'old':>6}")
    results: dict[str, tuple[list[bool], list[bool]]] = {e: ([], []) for e in VIDEO_EDITS}
    with tempfile.TemporaryDirectory() as folder:
        for clip, payload in zip(clips, _payloads(31), strict=False):
            fps = probe_video(clip).fps
            source = [f.image for f in iter_frames(clip, Sampling("count", args.video_frames))]
            marked = [wm.embed(frame, payload) for frame in source]
            for edit, apply in VIDEO_EDITS.items():
                out = Path(folder) / f"{edit.replace(' ', '_').replace(':', '-')}-{clip.name}"
                with VideoWriter(out, fps, crf=28) as writer:
                    for i, frame in enumerate(marked):
                        writer.write(apply(frame), i / fps)
                decoded = [f.image for f in iter_frames(out, Sampling("all"))]
                results[edit][0].append(_found(wm.extract_frames(decoded), payload))
                results[edit][1].append(_found(old.extract_frames(decoded), payload))
    for edit, (new, previous) in results.items():
        print(f"{edit:16}{sum(new):>3}/{len(new):<2}{sum(previous):>3}/{len(previous):<2}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    data_argument(parser)
    parser.add_argument("--faces", type=int, default=30, help="UTKFace faces, at 256 and 512 px")
    parser.add_argument("--frames", type=int, default=1, help="frames from each shared video")
    parser.add_argument("--null", type=int, default=300, help="unmarked faces for the FPR")
    parser.add_argument("--videos", type=int, default=3, help="clips marked, edited, re-encoded")
    parser.add_argument("--video-frames", type=int, default=24, help="frames of each clip")
    parser.add_argument("--baseline", default="814be95", help="git revision of the old decoder")
    parser.add_argument(
        "--null-only", action="store_true", help="only the unmarked pictures (a large --null)"
    )
    args = parser.parse_args()
    cv2.setNumThreads(2)
    old = _baseline(args.baseline)
    if args.null_only:
        _null(old, args)
        return
    pictures = _pictures(args)
    counts = collections.Counter(label for label, _ in pictures)
    print(
        f"{len(pictures)} sealed pictures: {counts['256']} faces at 256 px, {counts['512']} at "
        f"512 px, {counts['frame']} video frames; old decoder from {args.baseline}"
    )
    _edits(old, pictures)
    _null(old, args)
    _video(old, args)


if __name__ == "__main__":
    main()
