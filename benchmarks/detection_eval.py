"""Detection I's development evaluation: AUC on three fixed sets, with the commands in
BENCHMARKS.md.

    .venv/bin/python benchmarks/detection_eval.py [--data ../shared/data] [--sets a,b,c]
        [--swaps runs/det-eval/swaps] [--n 400] [--model LEARNED.safetensors]

(a) UTKFace held-out reals (`fauxlab.datasplit.held_out_faces`, never trained on) against
    self-blends of the same faces (fixed seed), clean and after JPEG 75: the `learned`
    detector alone.
(b) samples of the built-in generators (`anime`, `utkface`), drawn in memory and never
    watermarked, against each GAN's held-out reals (the last 1000 files by name, which
    neither the GAN nor the detectors trained on): every content detector (not
    `provenance`: our samples would carry our watermark, which would make this trivial).
(c) our face-swap videos against their source videos (`fauxlab swap apply` outputs in
    --swaps, named SOURCE-as-*.mp4): frame level (every keyframe face) and video level
    (4-second chunks, the file rule applied per chunk), the `learned` detector alone.
Baseline beside each: the same AUC of a detector that always answers 0.5 is 0.5; the
ratio printed is (AUC - 0.5) / 0.5, the share of the way from chance to perfect.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from _common import data_argument
from fauxlab.datasplit import held_out_faces
from fauxlab.detection.analysed import AnalysedMedia, FrameRecord, analyse
from fauxlab.detection.detectors.learned.bank import build_bank
from fauxlab.detection.detectors.learned.batches import validation_set
from fauxlab.detection.detectors.learned.detector import LearnedFaceDetector
from fauxlab.detection.detectors.learned.train import predict_logits
from fauxlab.detection.evidence import Detector
from fauxlab.detection.metrics import roc_auc
from fauxlab.detection.registry import available_detectors
from fauxlab.faces.pipeline import faces_in_image
from fauxlab.media import MediaKind
from fauxlab.media.images import RGBImage
from fauxlab.synthesis.gan.data import load_images
from fauxlab.synthesis.gan.sample import load_generator

CHUNK_SECONDS = 4.0


def _report(name: str, labels: Sequence[int], scores: Sequence[float]) -> None:
    auc = roc_auc(np.asarray(labels), np.asarray(scores))
    n_fake = sum(labels)
    print(
        f"| {name} | {len(labels) - n_fake} real / {n_fake} fake | {auc:.3f} | "
        f"{(auc - 0.5) / 0.5:.2f} |",
        flush=True,
    )


def set_a(data: Path, n: int, weights: Path | None) -> None:
    learned = LearnedFaceDetector(weights)
    bank, _ = build_bank(held_out_faces(data), geometry=learned.geometry)
    pairs = validation_set(bank, n, geometry=learned.geometry)
    model = learned.detector
    labels = pairs.labels.int().tolist()
    for variant, images in (("clean", pairs.clean), ("JPEG 75", pairs.jpeg75)):
        logits = predict_logits(model.model, images)
        _report(f"(a) UTKFace held-out vs self-blends, {variant}", labels, logits.tolist())


def _as_media(image: RGBImage, name: str) -> AnalysedMedia:
    faces = faces_in_image(image)
    h, w = image.shape[:2]
    frame = FrameRecord(0, 0.0, faces)
    return AnalysedMedia(Path(name), MediaKind.IMAGE, w, h, [frame], {0: image})


def _score(detectors: Sequence[Detector], media: AnalysedMedia) -> dict[str, float]:
    """Each detector's probability, and the fused one (max, as `detect` does)."""
    out: dict[str, float] = {}
    for detector in detectors:
        evidence = detector.examine(media)
        if evidence.probability is not None:
            out[detector.name] = min(1.0, evidence.weight * evidence.probability)
    out["fused"] = max(out.values(), default=0.0)
    return out


def set_b(data: Path, n: int) -> None:
    detectors, skipped = available_detectors()
    detectors = [d for d in detectors if d.name not in ("provenance", "shallowfake")]
    print(f"detectors: {', '.join(d.name for d in detectors)}; skipped {skipped}")
    folders = {"anime": data / "anime-faces", "utkface": data / "faces" / "utkface"}
    for name, folder in folders.items():
        generator = load_generator(name)
        size = generator.arch.size
        reals, _ = load_images(folder, size, limit=n, holdout=1000, held_out=True)
        fakes = generator.generate(generator.latents(n, seed=2026))
        rows: list[tuple[int, dict[str, float]]] = []
        for label, images in ((0, [r.permute(1, 2, 0).numpy() for r in reals]), (1, fakes)):
            for i, image in enumerate(images):
                rows.append(
                    (label, _score(detectors, _as_media(np.ascontiguousarray(image), f"{i}")))
                )
        labels = [label for label, _ in rows]
        for key in [*(d.name for d in detectors), "fused"]:
            scores = [r.get(key, 0.0) for _, r in rows]
            _report(f"(b) {name} GAN vs held-out reals, {key}", labels, scores)


def _chunks(media: AnalysedMedia, scores: dict[int, float]) -> list[float]:
    """The file rule (mean per person, then max) applied to 4-second chunks."""
    by_chunk: dict[int, dict[int, list[float]]] = {}
    for frame in media.frames:
        if frame.index not in media.images:
            continue
        for face in frame.faces:
            key = (frame.index, face.track_id)
            if key in scores:
                chunk = by_chunk.setdefault(int(frame.time // CHUNK_SECONDS), {})
                chunk.setdefault(face.track_id, []).append(scores[key])
    return [max(float(np.mean(v)) for v in people.values()) for people in by_chunk.values()]


def set_c(data: Path, swaps: Path, keyframes: int, weights: Path | None) -> None:
    from fauxlab.detection.analysed import AnalysisOptions

    detector = LearnedFaceDetector(weights)
    frame_labels: list[int] = []
    frame_scores: list[float] = []
    video_labels: list[int] = []
    video_scores: list[float] = []
    fakes = sorted(swaps.glob("*-as-*.mp4"))
    sources = sorted(
        {data / "videos" / f"liveportrait-{p.name.split('-as-')[0]}.mp4" for p in fakes}
    )
    for label, files in ((0, sources), (1, fakes)):
        for path in files:
            media = analyse(path, AnalysisOptions(keyframes=keyframes))
            evidence = detector.examine(media)
            scores = {(f.frame, f.track_id): f.probability for f in evidence.faces}
            frame_labels += [label] * len(scores)
            frame_scores += list(scores.values())
            chunks = _chunks(media, scores)
            video_labels += [label] * len(chunks)
            video_scores += chunks
            print(f"  {path.name}: file score {evidence.probability:.3f}, {len(chunks)} chunks")
    _report("(c) swaps vs sources, frame level", frame_labels, frame_scores)
    _report(f"(c) swaps vs sources, {CHUNK_SECONDS:.0f} s chunks", video_labels, video_scores)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    data_argument(parser)
    parser.add_argument("--sets", default="a,b,c")
    parser.add_argument("--n", type=int, default=400, help="faces or samples per class")
    parser.add_argument("--swaps", type=Path, default=Path("runs/det-eval/swaps"))
    parser.add_argument("--keyframes", type=int, default=64, help="(c): keyframes per video")
    parser.add_argument(
        "--model", type=Path, default=None, help="(a), (c): learned weights (default: shipped)"
    )
    args = parser.parse_args()
    torch.set_grad_enabled(False)
    print("| set | n | AUC | (AUC - 0.5) / 0.5 vs chance |")
    print("|---|---|---|---|")
    chosen = args.sets.split(",")
    if "a" in chosen:
        set_a(args.data, args.n, args.model)
    if "b" in chosen:
        set_b(args.data, args.n)
    if "c" in chosen:
        set_c(args.data, args.swaps, args.keyframes, args.model)


if __name__ == "__main__":
    main()
