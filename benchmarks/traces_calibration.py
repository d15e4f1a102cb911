"""Calibrating the traces detector for pictures people share, fitted on one half of the
third-party pictures and reported on the other half.

    .venv/bin/python benchmarks/traces_calibration.py [--data ../shared/data] [--model FILE]
        [--write OUT.safetensors]

Why: the traces model learned P(generated) on pictures at their own resolution; pictures
people pass around were mostly shrunk and re-compressed, which weakens the traces, so a
shared generated portrait ranks above the photos (AUC) but below 0.5. Platt scaling (two
numbers: scale and shift of the logit) moves the threshold without changing the ranking.
The third-party pictures are for measuring, never for training; the data README allows a
calibration fitted on one half, split by the project's one rule (`split_held_out`, by name
hash, within each class), reported on the other half only. Both halves' numbers print
before and after, with 95% bootstrap intervals. `--write` saves the model with the new pair.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from _common import data_argument
from fauxlab.datasplit import split_held_out
from fauxlab.detection.detectors.traces.score import read_traces
from fauxlab.detection.detectors.traces.weights import (
    TracesSettings,
    export,
    load_model,
    load_shipped_model,
)
from fauxlab.detection.intervals import scorer_metrics
from fauxlab.detection.linear import fit_logistic, sigmoid
from fauxlab.media import read_image


def halves(folder: Path) -> tuple[list[Path], list[Path]]:
    """(fit, report): each class split in two by the project's name-hash rule."""
    fit: list[Path] = []
    report: list[Path] = []
    for label in ("real", "fake"):
        files = sorted((folder / label).iterdir())
        kept, held = split_held_out(files, len(files) // 2)
        fit += kept
        report += held
    return fit, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_argument(parser)
    parser.add_argument("--model", type=Path, help="the traces model (default: shipped)")
    parser.add_argument("--write", type=Path, help="save the recalibrated model here")
    args = parser.parse_args()
    model = load_model(args.model) if args.model else load_shipped_model()
    fit_files, report_files = halves(args.data / "thirdparty" / "images")

    def logits(files: list[Path]) -> np.ndarray:
        return np.array([read_traces(model.net, read_image(p)).logit for p in files])

    def labels(files: list[Path]) -> np.ndarray:
        return np.array([1.0 if p.parent.name == "fake" else 0.0 for p in files])

    fit_x, report_x = logits(fit_files), logits(report_files)
    fit_y, report_y = labels(fit_files), labels(report_files)
    weights, bias = fit_logistic(fit_x[:, None], fit_y, l2=1e-3)
    old = model.settings
    new = TracesSettings(old.width, old.crop, float(weights[0]), float(bias))
    print(f"fit on {len(fit_files)} pictures, reported on {len(report_files)} others")
    print(f"Platt pair: scale {old.platt_scale:.3f} -> {new.platt_scale:.3f}, "
          f"shift {old.platt_bias:.3f} -> {new.platt_bias:.3f}")  # fmt: skip
    print("| half | calibration | AUC | accuracy at 0.5 | reals called fake | fakes missed |")
    print("|---|---|---|---|---|---|")
    for half, x, y in (("fit", fit_x, fit_y), ("report", report_x, report_y)):
        for name, s in (("as trained", old), ("third-party half", new)):
            p = sigmoid(s.platt_scale * x + s.platt_bias)
            m = scorer_metrics(name, [int(v) for v in y], [float(v) for v in p], 0.5)
            print(f"| {half} | {name} | {m.auc} | {m.accuracy} | "
                  f"{m.false_positive_rate} | {m.miss_rate} |")  # fmt: skip
    if args.write:
        info = dict(model.info)
        info["calibration"] = {
            "how": "Platt pair fitted on one half of thirdparty/images (split_held_out by "
            "name hash within each class); numbers reported on the other half",
            "fit_files": len(fit_files),
            "trained_pair": [old.platt_scale, old.platt_bias],
        }
        export(model.net, new, info, args.write)
        print(f"written {args.write}: {json.dumps(new.__dict__)}")


if __name__ == "__main__":
    main()
