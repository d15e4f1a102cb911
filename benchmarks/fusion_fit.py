"""Fit the fusion on the development set and write the shipped parameters.

    nice -n 15 env OMP_NUM_THREADS=1 .venv/bin/python benchmarks/fusion_fit.py \
        [--data ../shared/data] [--n 300] [--cache runs/fusion-fit] [--rebuild] [--write]
        [--untied]

Step 1 (about 4 minutes of CPU at one thread with --n 300, once): run every content detector (not
`provenance`, which is decisive-only) on the development set and cache each file's
evidence in runs/fusion-fit/evidence-n{N}.csv, one row per file, one column per
detector (blank: could not judge). Later runs read the cache and take a second.

    utk-real      UTKFace held-out faces (fauxlab.datasplit), crops                real
    utk-blend     self-blends of the same crops (fixed seed, as detection_eval (a)) fake
    utk-gan-real  UTKFace held-out files at the GAN's size (detection_eval (b))     real
    utk-gan       samples of the built-in `utkface` GAN, drawn in memory            fake
    anime-real    anime held-out files at the GAN's size (detection_eval (b))       real
    anime-gan     samples of the built-in `anime` GAN, drawn in memory              fake
    video         shared real videos no model trained on, 4 keyframes each           real

Step 2: split the rows by a hash of each row's group (a self-blend goes with the real
face it was made from), fit the fused-maximum parameters (fauxlab.detection.fusion_fit)
on the fit part, and print AUC and accuracy at the default threshold on the held-out
part, beside the plain weighted maximum. With --write the parameters, with this
command, the date, the data and the held-out numbers, go to
src/fauxlab/assets/detectors/fusion.json.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from _common import data_argument
from fauxlab.datasplit import held_out_faces, held_out_videos

FIELDS = ["set", "group", "label", "kind"]
VIDEO_KEYFRAMES = 4
HELD_OUT_TENTHS = 3  # 30% of the groups are held out
ASSET = Path(__file__).parents[1] / "src/fauxlab/assets/detectors/fusion.json"
Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


def _group(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _images(data: Path, n: int) -> Iterator[tuple[str, str, int, NDArray[np.uint8]]]:
    """(set, group, label, image) for every still image of the development set."""
    from fauxlab.detection.detectors.learned.bank import build_bank
    from fauxlab.detection.detectors.learned.batches import make_pair
    from fauxlab.synthesis.gan.data import load_images
    from fauxlab.synthesis.gan.sample import load_generator

    held = held_out_faces(data)
    bank, _ = build_bank(held[: n + n // 4])  # a few have no face the finder sees
    rng = np.random.default_rng(12345)
    for index in rng.permutation(len(bank))[:n]:
        real, fake, _ = make_pair(bank, int(index), rng, jitter=False)
        group = _group(real.tobytes())
        yield "utk-real", group, 0, real
        yield "utk-blend", group, 1, fake
    folders = {"utk": data / "faces" / "utkface", "anime": data / "anime-faces"}
    for prefix, folder in folders.items():
        generator = load_generator("utkface" if prefix == "utk" else "anime")
        reals, _ = load_images(folder, generator.arch.size, limit=n, holdout=1000, held_out=True)
        real_set = "utk-gan-real" if prefix == "utk" else "anime-real"
        for tensor in reals:
            image = np.ascontiguousarray(tensor.permute(1, 2, 0).numpy())
            yield real_set, _group(image.tobytes()), 0, image
        for image in generator.generate(generator.latents(n, seed=2026)):
            image = np.ascontiguousarray(image)
            yield f"{prefix}-gan", _group(image.tobytes()), 1, image


def build(data: Path, n: int, out: Path) -> None:
    """Run the detectors on the development set and write one CSV row per file."""
    import torch

    from fauxlab.detection.analysed import AnalysedMedia, AnalysisOptions, FrameRecord, analyse
    from fauxlab.detection.registry import available_detectors
    from fauxlab.faces.pipeline import faces_in_image
    from fauxlab.media import MediaKind

    torch.set_grad_enabled(False)
    detectors, skipped = available_detectors()
    detectors = [d for d in detectors if d.name != "provenance"]
    names = [d.name for d in detectors]
    print(f"detectors: {', '.join(names)}; skipped {[s.name for s in skipped]}", flush=True)
    header = FIELDS + [c for name in names for c in (name, f"{name}.weight")]
    partial = out.with_suffix(".partial")
    started = time.process_time()
    with partial.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)

        def write(set_name: str, group: str, label: int, media: AnalysedMedia) -> None:
            row: list[object] = [set_name, group, label, media.kind.value]
            for detector in detectors:
                evidence = detector.examine(media)
                row += ["" if evidence.probability is None else evidence.probability]
                row += [evidence.weight]
            writer.writerow(row)

        for count, (set_name, group, label, image) in enumerate(_images(data, n)):
            h, w = image.shape[:2]
            frame = FrameRecord(0, 0.0, faces_in_image(image))
            name = Path(f"{set_name}-{count}")
            media = AnalysedMedia(name, MediaKind.IMAGE, w, h, [frame], {0: image})
            write(set_name, group, label, media)
            if count % 50 == 0:
                print(f"  {count} images, {time.process_time() - started:.0f} s CPU", flush=True)
        for path in held_out_videos(data):  # the learned detector trained on the others
            media = analyse(path, AnalysisOptions(keyframes=VIDEO_KEYFRAMES))
            write("video", _group(path.name.encode()), 0, media)
            print(f"  {path.name}: {time.process_time() - started:.0f} s CPU", flush=True)
    partial.replace(out)
    print(f"wrote {out} in {time.process_time() - started:.0f} s CPU", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    data_argument(parser)
    parser.add_argument("--n", type=int, default=300, help="images per set")
    parser.add_argument("--cache", type=Path, default=Path("runs/fusion-fit"))
    parser.add_argument("--rebuild", action="store_true", help="run the detectors again")
    parser.add_argument("--write", action="store_true", help="write the shipped fusion.json")
    parser.add_argument(
        "--untied", action="store_true", help="one calibration per detector (default: shared)"
    )
    parser.add_argument("--build-only", action="store_true")
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    table = args.cache / f"evidence-n{args.n}.csv"
    if args.rebuild or not table.exists():
        build(args.data, args.n, table)
    if args.build_only:
        return
    fit(table, args.n, args.write, not args.untied)


def _read(table: Path) -> tuple[list[str], Floats, Ints, list[str], list[str]]:
    """(detector names, weighted probabilities with NaN for "could not judge", labels,
    set names, groups) from the cached table."""
    with table.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    names = [c for c in rows[0] if c not in FIELDS and not c.endswith(".weight")]
    names = [n for n in names if n != "provenance"]
    q = np.full((len(rows), len(names)), np.nan)
    for i, row in enumerate(rows):
        for k, name in enumerate(names):
            if row[name] != "":
                q[i, k] = min(1.0, float(row[f"{name}.weight"]) * float(row[name]))
    labels = np.array([int(r["label"]) for r in rows], dtype=np.int64)
    return names, q, labels, [r["set"] for r in rows], [r["group"] for r in rows]


def _held_out(group: str) -> bool:
    return int(group[:8], 16) % 10 < HELD_OUT_TENTHS


def _mean_rule(q: Floats) -> Floats:
    judged = ~np.isnan(q)
    total = np.nansum(q, axis=1)
    return np.where(judged.any(axis=1), total / np.maximum(1, judged.sum(axis=1)), 0.5)


def _auc_difference(labels: Ints, a: Floats, b: Floats, rounds: int = 2000) -> tuple[float, float]:
    """95% bootstrap interval of AUC(a) - AUC(b) over the same resampled rows."""
    from fauxlab.detection.metrics import roc_auc

    rng = np.random.default_rng(2026)
    differences = []
    for _ in range(rounds):
        pick = rng.integers(0, len(labels), len(labels))
        if labels[pick].min() == labels[pick].max():
            continue
        differences.append(roc_auc(labels[pick], a[pick]) - roc_auc(labels[pick], b[pick]))
    low, high = np.percentile(differences, [2.5, 97.5])
    return float(low), float(high)


def fit(table: Path, n: int, write: bool, tied: bool) -> None:
    from fauxlab.detection.fusion_fit import fit_maximum, fused_maximum, separation
    from fauxlab.detection.fusion_model import IDENTITY, FusionParameters

    names, q, labels, sets, groups = _read(table)
    test = np.array([_held_out(g) for g in groups])
    calibrations = fit_maximum(q[~test], labels[~test], tied=tied)
    rules = {
        "weighted maximum (interim)": fused_maximum(q, [IDENTITY] * len(names)),
        "mean (for contrast)": _mean_rule(q),
        "fitted maximum": fused_maximum(q, calibrations),
    }
    print(f"\n{len(labels)} rows ({int(test.sum())} held out); detectors {', '.join(names)}")
    print("\n| detector | scale | shift |\n|---|---|---|")
    for name, c in zip(names, calibrations, strict=True):
        print(
            f"| {name} | {c.scale:.3f} | {c.shift:.3f} |"
            + ("" if c != IDENTITY else " (not fitted)")
        )
    held: dict[str, dict[str, float]] = {}
    print("\n| held-out rule | real / fake | AUC | accuracy at 0.5 |\n|---|---|---|---|")
    for rule, p in rules.items():
        s = separation(labels[test], p[test])
        held[rule] = {"auc": round(s.auc, 4), "accuracy": round(s.accuracy, 4)}
        print(f"| {rule} | {s.n_real} / {s.n_fake} | {s.auc:.4f} | {s.accuracy:.3f} |")
    folds = np.array([int(g[:8], 16) % 10 for g in groups])
    pooled = {
        rule: np.zeros(len(labels)) for rule in ("weighted maximum (interim)", "fitted maximum")
    }
    for k in range(10):
        part = folds == k
        pooled["weighted maximum (interim)"][part] = rules["weighted maximum (interim)"][part]
        pooled["fitted maximum"][part] = fused_maximum(
            q[part], fit_maximum(q[~part], labels[~part], tied=tied)
        )
    print("\n| 10-fold by group hash, pooled out-of-fold | real / fake | AUC | accuracy at 0.5 |")
    print("|---|---|---|---|")
    cross: dict[str, dict[str, float]] = {}
    for rule, p in pooled.items():
        s = separation(labels, p)
        cross[rule] = {"auc": round(s.auc, 4), "accuracy": round(s.accuracy, 4)}
        print(f"| {rule} | {s.n_real} / {s.n_fake} | {s.auc:.4f} | {s.accuracy:.3f} |")
    low, high = _auc_difference(
        labels[test], rules["fitted maximum"][test], rules["weighted maximum (interim)"][test]
    )
    print(f"\nheld-out AUC fitted - interim, 95% bootstrap interval: [{low:+.4f}, {high:+.4f}]")
    print("\n| held-out set | n | " + " | ".join(rules) + " |\n|---|---|" + "---|" * len(rules))
    by_set: dict[str, dict[str, float]] = {}
    for set_name in dict.fromkeys(sets):
        part = test & np.array([s == set_name for s in sets])
        right = {r: float(((p[part] >= 0.5) == labels[part]).mean()) for r, p in rules.items()}
        by_set[set_name] = {"n": int(part.sum()), **{r: round(v, 4) for r, v in right.items()}}
        print(
            f"| {set_name} | {int(part.sum())} | "
            + " | ".join(f"{v:.3f}" for v in right.values())
            + " |"
        )
    if not write:
        return
    counts = {s: sets.count(s) for s in dict.fromkeys(sets)}
    fitted = {
        "command": "nice -n 15 env OMP_NUM_THREADS=1 .venv/bin/python benchmarks/fusion_fit.py "
        f"--n {n} --write" + ("" if tied else " --untied"),
        "date": date.today().isoformat(),
        "data": "UTKFace held-out crops and their self-blends; UTKFace and anime held-out "
        "files at the GAN size; samples of the built-in utkface and anime GANs (seed 2026); "
        f"the shared real videos no model trained on ({VIDEO_KEYFRAMES} keyframes)",
        "rows": counts,
        "calibration": "one per detector" if not tied else "one, shared by the fitted detectors",
        "split": f"held out: groups whose sha256 prefix mod 10 < {HELD_OUT_TENTHS}; "
        "parameters fitted on the rest",
        "held_out": held,
        "held_out_auc_difference_95": [round(low, 4), round(high, 4)],
        "ten_fold_pooled": cross,
        "held_out_accuracy_by_set": by_set,
    }
    chosen = {name: c for name, c in zip(names, calibrations, strict=True) if c != IDENTITY}
    ASSET.write_text(
        json.dumps(FusionParameters(chosen, fitted).to_dict(), indent=2) + "\n", encoding="utf-8"
    )
    print(f"\nwrote {ASSET}")


if __name__ == "__main__":
    main()
