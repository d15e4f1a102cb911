"""How good is a generator? Distances between real and generated images in the feature
space of the ImageNet-pretrained EfficientNet-Lite0.

- FD-Lite0: the Frechet distance between Gaussians fitted to real and generated features
  (the FID formula, in another network's features: no Inception weights offline).
- KID: the unbiased squared MMD with a cubic polynomial kernel (Binkowski et al. 2018);
  unbiased at any N, so small sets can be compared.
- Precision and recall (Kynkaanniemi et al. 2019): the share of generated images that lie
  on the real manifold (fidelity), and of real images on the generated one (diversity),
  each manifold being the union of balls reaching each point's k-th nearest neighbour.

Numbers are comparable only with each other, at the same N and the same FEATURE_SIZE.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

from fauxlab.backbones.lite0 import Lite0Features
from fauxlab.errors import InputError
from fauxlab.synthesis.gan.data import load_images
from fauxlab.synthesis.gan.sample import LoadedGenerator, load_generator
from fauxlab.training.loop import Progress, Tick

Features = NDArray[np.float64]

# Lite0 was trained at 224 px; our images are 32-128 px and are enlarged either way. On this
# 2-core CPU 224 px costs 4.4x the time of 128 px (6 against 27 img/s on one thread), so an
# eval of 1000 held-out + 1000 generated images takes ~5 min instead of ~1. Measured on 250
# anime faces against 250 others (docs/gan.md): 224 px separates a bit better (FD of 2x-blurred
# faces 2.8x the real-vs-real FD, against 2.2x at 128; KID 23 spreads above zero against 15),
# but 128 px ranks every degradation the same way. We take 128 for the 4x. Changing it
# changes every number: FD-Lite0 values compare only at the same FEATURE_SIZE.
FEATURE_SIZE = 128
MIN_IMAGES = 50
KID_SUBSETS = 100
KID_SUBSET_SIZE = 1000
PR_NEIGHBOURS = 3


# --- the statistics, on plain feature matrices (N, D) ----------------------------------


def _sqrt_psd(matrix: Features) -> Features:
    """Square root of a symmetric positive semi-definite matrix by eigen-decomposition;
    rounding makes tiny eigenvalues negative, and they are clipped to zero."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    root: Features = (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T
    return root


def trace_sqrt_product(cov_a: Features, cov_b: Features) -> float:
    """tr(sqrt(A B)) for covariance matrices A and B, computed as tr(sqrt(A^1/2 B A^1/2)).

    The two products have the same eigenvalues, and the second is symmetric PSD, so its
    eigenvalues are real: no complex square root, no imaginary parts to throw away, and
    it works for the singular covariances of N < D samples."""
    root_a = _sqrt_psd(cov_a)
    values = np.linalg.eigvalsh(root_a @ cov_b @ root_a)
    return float(np.sqrt(np.clip(values, 0.0, None)).sum())


def frechet_distance_gaussians(
    mean_a: Features, cov_a: Features, mean_b: Features, cov_b: Features
) -> float:
    """||m_a - m_b||^2 + tr(A + B - 2 sqrt(A B)): the 2-Wasserstein distance squared."""
    diff = mean_a - mean_b
    trace = float(np.trace(cov_a) + np.trace(cov_b)) - 2.0 * trace_sqrt_product(cov_a, cov_b)
    return max(0.0, float(diff @ diff) + trace)


def frechet_distance(real: Features, fake: Features) -> float:
    """FD between Gaussian fits (mean, sample covariance) of two feature sets."""
    _check_features(real, fake, 2)
    return frechet_distance_gaussians(
        real.mean(axis=0), np.cov(real, rowvar=False), fake.mean(axis=0), np.cov(fake, rowvar=False)
    )


def _polynomial_kernel(x: Features, y: Features) -> Features:
    """k(x, y) = (x.y / d + 1)^3, the kernel of KID."""
    kernel: Features = (x @ y.T / x.shape[1] + 1.0) ** 3
    return kernel


def mmd2_unbiased(x: Features, y: Features) -> float:
    """Unbiased MMD^2: the diagonals (a point with itself) are left out of the within-set
    means, which is what makes the estimate unbiased (and able to go below zero)."""
    m, n = x.shape[0], y.shape[0]
    k_xx, k_yy, k_xy = _polynomial_kernel(x, x), _polynomial_kernel(y, y), _polynomial_kernel(x, y)
    within_x = (k_xx.sum() - np.trace(k_xx)) / (m * (m - 1))
    within_y = (k_yy.sum() - np.trace(k_yy)) / (n * (n - 1))
    return float(within_x + within_y - 2.0 * k_xy.mean())


def kernel_inception_distance(
    real: Features,
    fake: Features,
    subsets: int = KID_SUBSETS,
    subset_size: int = KID_SUBSET_SIZE,
    seed: int = 0,
) -> tuple[float, float]:
    """KID (in Lite0 features): mean and standard deviation of the unbiased MMD^2 over
    random subsets. A subset holds at most half of the smaller set, so the subsets differ
    and the spread says how much the number moves with the sample (it is not a standard
    error of the mean)."""
    _check_features(real, fake, 4)
    size = min(subset_size, real.shape[0] // 2, fake.shape[0] // 2)
    rng = np.random.default_rng(seed)
    values = [
        mmd2_unbiased(
            real[rng.choice(real.shape[0], size, replace=False)],
            fake[rng.choice(fake.shape[0], size, replace=False)],
        )
        for _ in range(subsets)
    ]
    return float(np.mean(values)), float(np.std(values))


def _squared_distances(a: Features, b: Features) -> Features:
    dist: Features = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * (a @ b.T)
    return np.clip(dist, 0.0, None)


def _knn_radii(points: Features, k: int, chunk: int) -> Features:
    """Squared distance from each point to its k-th nearest neighbour (itself excluded:
    it sits at index 0 of its sorted row)."""
    radii = np.empty(points.shape[0])
    for start in range(0, points.shape[0], chunk):
        block = _squared_distances(points[start : start + chunk], points)
        radii[start : start + chunk] = np.partition(block, k, axis=1)[:, k]
    return radii


def _coverage(manifold: Features, radii: Features, queries: Features, chunk: int) -> float:
    """Share of `queries` inside at least one ball around a `manifold` point."""
    inside = 0
    for start in range(0, queries.shape[0], chunk):
        block = _squared_distances(queries[start : start + chunk], manifold)
        inside += int((block <= radii[None, :]).any(axis=1).sum())
    return inside / queries.shape[0]


def precision_recall(
    real: Features, fake: Features, k: int = PR_NEIGHBOURS, chunk: int = 1024
) -> tuple[float, float]:
    """Improved precision and recall: precision = share of fakes within the k-NN balls of
    the reals (are the fakes realistic?), recall = share of reals within the k-NN balls of
    the fakes (does the generator cover the real variety?). Mode collapse: high precision,
    low recall."""
    _check_features(real, fake, k + 1)
    precision = _coverage(real, _knn_radii(real, k, chunk), fake, chunk)
    recall = _coverage(fake, _knn_radii(fake, k, chunk), real, chunk)
    return precision, recall


def _check_features(real: Features, fake: Features, at_least: int) -> None:
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"feature sets must be (N, D) alike, got {real.shape} and {fake.shape}")
    if min(real.shape[0], fake.shape[0]) < at_least:
        raise ValueError(f"need at least {at_least} samples per set")


@dataclass(frozen=True)
class FeatureScores:
    """All four numbers for one pair of feature sets."""

    fd_lite0: float
    kid: float
    kid_std: float
    precision: float
    recall: float


def compare_features(real: Features, fake: Features, seed: int = 0) -> FeatureScores:
    kid, kid_std = kernel_inception_distance(real, fake, seed=seed)
    precision, recall = precision_recall(real, fake)
    return FeatureScores(frechet_distance(real, fake), kid, kid_std, precision, recall)


# --- images, generators and the evaluation of one generator ----------------------------


def image_features(
    images: torch.Tensor, extractor: Lite0Features, progress: Progress | None = None
) -> Features:
    """Lite0 features of uint8 (N, 3, H, W) images, 64 at a time."""
    parts = []
    for start in range(0, images.shape[0], 64):
        parts.append(extractor.features(images[start : start + 64]))
        if progress is not None:
            progress(Tick("features", min(start + 64, images.shape[0]), images.shape[0]))
    features: Features = torch.cat(parts).numpy()
    return features


@torch.no_grad()
def generate_images(
    generator: LoadedGenerator, n: int, seed: int, batch: int = 256
) -> torch.Tensor:
    """n generated images as uint8 (N, 3, S, S), in memory only: nothing unsealed is
    ever written. Quantised like a saved picture, so fakes and reals take the same path."""
    latents = generator.latents(n, seed)
    parts = []
    for start in range(0, n, batch):
        x = generator.module(latents[start : start + batch]).float().clamp(-1, 1)
        parts.append(((x + 1) * 127.5).round().to(torch.uint8))
    return torch.cat(parts)


@dataclass(frozen=True)
class GanEvaluation:
    """One generator against one set of real images."""

    generator: str
    step: int
    real_source: str
    images: int
    image_size: int
    feature_size: int
    seed: int
    scores: FeatureScores
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.update(data.pop("scores"))
        data["seconds"] = round(self.seconds, 1)
        return data


def evaluate_generator(
    generator: LoadedGenerator | str | Path,
    real: torch.Tensor,
    *,
    seed: int = 0,
    real_source: str = "",
    feature_size: int = FEATURE_SIZE,
    progress: Progress | None = None,
) -> GanEvaluation:
    """Draw as many images as there are reals (uint8 NCHW) and score them against them."""
    started = time.monotonic()
    if not isinstance(generator, LoadedGenerator):
        generator = load_generator(generator)
    if real.shape[0] < MIN_IMAGES:
        raise InputError(f"{real.shape[0]} real images are too few; the metrics need {MIN_IMAGES}")
    extractor = Lite0Features(size=feature_size)
    real_features = image_features(real, extractor, progress)
    fake = generate_images(generator, real.shape[0], seed)
    fake_features = image_features(fake, extractor, progress)
    return GanEvaluation(
        generator=generator.name,
        step=generator.step,
        real_source=real_source,
        images=real.shape[0],
        image_size=generator.arch.size,
        feature_size=feature_size,
        seed=seed,
        scores=compare_features(real_features, fake_features, seed),
        seconds=time.monotonic() - started,
    )


# --- which real images ------------------------------------------------------------------


def held_out_folder(run: Path) -> tuple[Path, int]:
    """The data folder and held-out count a run was trained with (its config.json)."""
    config_path = run / "config.json"
    if not config_path.is_file():
        raise InputError(
            f"{run}: no config.json, so its held-out images are unknown; pass DATA_DIR"
        )
    try:
        config = json.loads(config_path.read_text())
        folder, holdout = Path(config["data_dir"]), int(config.get("holdout", 0))
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{config_path}: not a GAN run's config ({exc})") from exc
    if holdout < MIN_IMAGES:
        raise InputError(
            f"{run}: trained with `holdout` {holdout}, fewer than the {MIN_IMAGES} held-out "
            "images the metrics need; pass DATA_DIR or train with `holdout` 1000",
            settings=["holdout"],
        )
    return folder, holdout


def real_images(
    run: str | Path,
    data_dir: Path | None,
    size: int,
    n: int | None,
    seed: int = 0,
    progress: Progress | None = None,
) -> tuple[torch.Tensor, str]:
    """The reals to compare with, at the generator's size, and where they came from:
    every image of `data_dir` when given, else the held-out images of the run `run`.

    With `n`, a seeded random choice of n of them: files are in name order, and names
    often sort by a property (UTKFace by age), so the first n would be a biased set."""
    if data_dir is not None:
        folder, holdout, held_out = data_dir, 0, False
    else:
        (folder, holdout), held_out = held_out_folder(_run_folder(run)), True
    if not folder.is_dir():
        where = "" if data_dir is not None else f" (the run's data folder, from {run}/config.json)"
        raise InputError(f"{folder}: the real-image folder{where} does not exist")

    def loading(done: int, total: int) -> None:
        if progress is not None:
            progress(Tick("loading real images", done, total))

    images, _ = load_images(folder, size, None, loading, holdout, held_out=held_out)
    source = f"{folder} ({holdout} held out)" if held_out else str(folder)
    return _choose(images, n, seed, source), source


def _run_folder(run: str | Path) -> Path:
    """The run folder of `run`: itself, or the folder of a run's generator file."""
    path = Path(run)
    if path.is_file() and (path.parent / "config.json").is_file():
        return path.parent
    if not path.is_dir():
        raise InputError(f"{run}: not a run folder, so it has no held-out images; pass DATA_DIR")
    return path


def _choose(images: torch.Tensor, n: int | None, seed: int, source: str) -> torch.Tensor:
    available = images.shape[0]
    if available < MIN_IMAGES:
        raise InputError(f"{source}: {available} readable images, the metrics need {MIN_IMAGES}")
    if n is None or n == available:
        return images
    if not MIN_IMAGES <= n <= available:
        raise InputError(f"-n must be between {MIN_IMAGES} and the {available} real images")
    index = torch.randperm(available, generator=torch.Generator().manual_seed(seed))[:n]
    return images[index.sort().values]
