"""Build the canonical 68-point face template that alignment maps every face onto.

Generalised Procrustes analysis over MediaPipe landmarks of near-frontal faces, made
left-right symmetric, then scaled so the inner face (brows, eyes, nose, mouth) fills the
unit square. The result is a 68x2 table of numbers, a statistic of many faces, and holds
nothing of any single image.

    .venv/bin/python scripts/build_face_template.py ../shared/data/faces/utkface --limit 3000
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from fauxlab.faces.align import umeyama
from fauxlab.faces.detect import MediaPipeBackend
from fauxlab.faces.landmarks import FLIP_68, INNER_FACE
from fauxlab.media import read_image


def _normalise(shape: np.ndarray) -> np.ndarray:
    centred = shape - shape.mean(axis=0)
    return centred / np.sqrt((centred**2).sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--limit", type=int, default=3000)
    parser.add_argument(
        "--out", type=Path, default=Path("src/fauxlab/assets/face_template_68.json")
    )
    args = parser.parse_args()

    backend = MediaPipeBackend(max_faces=1, video=False)
    shapes = []
    for path in sorted(args.folder.glob("*.jpg"))[: args.limit]:
        faces = backend.detect(read_image(path))
        if len(faces) == 1:
            shapes.append(faces[0].landmarks.astype(np.float64))
    print(f"{len(shapes)} faces")

    mean = _normalise(shapes[0])
    for _ in range(10):
        aligned = []
        for shape in shapes:
            matrix = umeyama(shape, mean)
            aligned.append(shape @ matrix[:, :2].T + matrix[:, 2])
        new_mean = _normalise(np.mean(aligned, axis=0))
        mirrored = new_mean[list(FLIP_68)] * np.array([-1.0, 1.0])
        new_mean = _normalise((new_mean + mirrored) / 2)
        shift = np.abs(new_mean - mean).max()
        mean = new_mean
        if shift < 1e-7:
            break

    inner = mean[INNER_FACE]
    low, high = inner.min(axis=0), inner.max(axis=0)
    template = (mean - low) / (high - low).max()
    template[:, 0] += (1 - (high - low)[0] / (high - low).max()) / 2  # centre horizontally
    args.out.write_text(
        json.dumps(
            {
                "scheme": "ibug-68",
                "note": "Mean MediaPipe face (GPA, symmetrised); inner face spans the unit square.",
                "faces": len(shapes),
                "points": [[round(float(x), 5), round(float(y), 5)] for x, y in template],
            },
            indent=1,
        )
        + "\n"
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
