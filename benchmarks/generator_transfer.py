"""Does a whole-image detector trained on one generator catch another? The frozen-feature
`generated` detector against the `spectrum` detector, on the same split.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/generator_transfer.py \
        [--data ../shared/data] [--n 1000] [--eval-n 500]

For each built-in GAN (`anime`, `utkface`) both detectors are trained on real faces
(UTKFace and anime, held-out files excluded) against that one GAN's samples, then scored
on held-out reals against: the GAN they saw, the other built-in GAN, and an untrained
fauxlab generator (the bare up-sampling stack, a generator neither saw). The baseline
beside each AUC is chance (0.5); the ratio printed is (AUC - 0.5) / 0.5.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch

from _common import data_argument
from fauxlab.detection.detectors.generated.features import GeneratedFeatures
from fauxlab.detection.detectors.generated.train import GeneratedTrainConfig, train_generated
from fauxlab.detection.detectors.spectrum.data import FolderSource, SampledSource
from fauxlab.detection.detectors.spectrum.features import (
    FeatureSettings,
    FloatArray,
    spectrum_features,
)
from fauxlab.detection.detectors.spectrum.train import SpectrumTrainConfig, train_spectrum
from fauxlab.detection.imagetrain import Featurizer, Scorer, SourceConfig, evaluate
from fauxlab.media.images import RGBImage
from fauxlab.synthesis.gan.models import Architecture, build_generator
from fauxlab.synthesis.gan.sample import GeneratorSampler, generator_bytes

BUILTINS = ("anime", "utkface")


def untrained_generator(folder: Path) -> str:
    torch.manual_seed(7)
    arch = Architecture(model="fauxlab", size=64)
    path = folder / "untrained.safetensors"
    path.write_bytes(generator_bytes(build_generator(arch), arch, 0))
    return str(path)


def spectral_featurizer(settings: FeatureSettings) -> Featurizer:
    def featurize(images: Iterable[RGBImage]) -> FloatArray:
        rows = [spectrum_features(image, settings) for image in images]
        return np.array(rows, dtype=np.float32).reshape(len(rows), settings.size)

    return featurize


def transfer_rows(
    name: str, score: Scorer, featurize: Featurizer, config: SourceConfig, targets: list[str]
) -> list[str]:
    reals = [FolderSource(p, 0, config.size, config.holdout) for p in config.reals]
    fakes = [SampledSource(GeneratorSampler(g), config.size, config.seed) for g in targets]
    pairs, _, _ = evaluate(score, reals, fakes, config, featurize, lambda *_: None)
    rows = []
    for target in fakes:
        mine = [p for p in pairs if p["fake"] == target.name]
        clean = float(np.mean([p["auc"] for p in mine]))
        jpeg = float(np.mean([p["auc_jpeg75"] for p in mine]))
        rows.append(
            f"| {name} | {config.generators[0].source} | {target.name} | {clean:.4f} | {jpeg:.4f} "
            f"| {(clean - 0.5) / 0.5:.2f} |"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_argument(parser)
    parser.add_argument("--n", type=int, default=1000, help="training images per class")
    parser.add_argument("--eval-n", type=int, default=500, help="held-out images per source")
    args = parser.parse_args()
    reals = (args.data / "faces" / "utkface", args.data / "anime-faces")
    print("| detector | trained on GAN | tested on GAN | AUC (mean over both reals) "
          "| AUC after JPEG 75 | ratio vs chance |")  # fmt: skip
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        untrained = untrained_generator(Path(tmp))
        for seen in BUILTINS:
            targets = [seen, *(g for g in BUILTINS if g != seen), untrained]
            g_config = GeneratedTrainConfig(
                reals=reals,
                generators=(GeneratorSampler(seen),),
                per_class=args.n,
                eval_per_source=args.eval_n,
            )
            g_model, _ = train_generated(g_config, "benchmark")
            for row in transfer_rows(
                "generated", g_model.probability, GeneratedFeatures(g_model.settings),
                g_config, targets,
            ):  # fmt: skip
                print(row, flush=True)
            s_config = SpectrumTrainConfig(
                reals=reals,
                generators=(GeneratorSampler(seen),),
                per_class=args.n,
                eval_per_source=args.eval_n,
            )
            s_model, _ = train_spectrum(s_config, "benchmark")
            spectral = spectral_featurizer(s_model.settings)
            for row in transfer_rows("spectrum", s_model.probability, spectral, s_config, targets):
                print(row, flush=True)


if __name__ == "__main__":
    main()
