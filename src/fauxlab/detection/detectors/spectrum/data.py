"""Where training images come from: folders of real or fake images, and samplers that
draw generated images in memory (their samples never touch the disk unsealed).

Detection learns from data, not from generator code: a `Sampler` is whatever draws
images from a seed; the command that trains on a GAN's samples passes one in
(`fauxlab.synthesis.gan.sample.GeneratorSampler`).

Every image is first centre-cropped and resized to the fakes' size (Lanczos, as the GAN
trainer shrank its reals), so that size alone never tells the classes apart. Each folder
keeps its last files by name for evaluation only, the same rule `fauxlab gan train
--holdout` uses: a GAN trained with `--holdout 1000` never saw the images we test it on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from fauxlab.datasplit import split_files
from fauxlab.errors import FauxlabError, SettingError
from fauxlab.media import RGBImage, centre_square, image_files, read_image

HELD_OUT_SEED = 1_000_003  # latents for evaluation come from a stream training never uses
to_size = centre_square  # every image is brought to the fakes' size this one way


class Sampler(Protocol):
    """Generated images drawn in memory, the same ones for the same seed."""

    @property
    def name(self) -> str:
        """A short name for reports."""
        ...

    @property
    def source(self) -> str:
        """Where it comes from, as the user named it (for the command that reproduces)."""
        ...

    def draw(self, count: int, seed: int) -> Iterator[RGBImage]: ...

    def describe(self) -> dict[str, Any]:
        """What it is, for the model card (e.g. generator, step, sha256)."""
        ...


def held_out_count(total: int, holdout: int) -> int:
    """The last `holdout` files, but never more than a fifth of a small folder."""
    return min(holdout, total // 5)


@dataclass
class FolderSource:
    """A folder of images (searched recursively), split by name into training and held-out."""

    folder: Path
    label: int  # 1 fake, 0 real
    size: int
    holdout: int
    skipped: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        files = image_files(self.folder)
        self.train_files, self.held_files = split_files(
            files, held_out_count(len(files), self.holdout)
        )

    @property
    def name(self) -> str:
        return self.folder.name

    def _read(self, paths: list[Path]) -> Iterator[RGBImage]:
        for path in paths:
            try:
                image = read_image(path)
            except FauxlabError:
                self.skipped.append(path)
                continue
            yield to_size(image, self.size)

    def training(self, count: int, rng: np.random.Generator) -> Iterator[RGBImage]:
        """`count` images drawn at random from the training part (repeats only when the
        folder has fewer; augmentation then makes each copy different)."""
        replace = count > len(self.train_files)
        picks = rng.choice(len(self.train_files), size=count, replace=replace)
        yield from self._read([self.train_files[i] for i in picks])

    def held_out(self, count: int) -> Iterator[RGBImage]:
        yield from self._read(self.held_files[:count])


@dataclass
class SampledSource:
    """Fresh generated samples, drawn in memory from seeded streams."""

    sampler: Sampler
    size: int
    seed: int
    skipped: list[Path] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.sampler.name

    def _draw(self, count: int, seed: int) -> Iterator[RGBImage]:
        for image in self.sampler.draw(count, seed):
            yield to_size(image, self.size)

    def training(self, count: int, rng: np.random.Generator) -> Iterator[RGBImage]:
        yield from self._draw(count, int(rng.integers(0, HELD_OUT_SEED)))

    def held_out(self, count: int) -> Iterator[RGBImage]:
        yield from self._draw(count, HELD_OUT_SEED + self.seed)


Source = FolderSource | SampledSource


def check_sources(reals: list[Source], fakes: list[Source]) -> None:
    if not reals:
        raise SettingError("no real images: give at least one `reals` DIR", settings=["reals"])
    if not fakes:
        raise SettingError(
            "no fake images: give at least one `fakes` DIR or `generators` RUN",
            settings=["fakes", "generators"],
        )


def split_count(total: int, parts: int) -> list[int]:
    """`total` spread as evenly as possible over `parts`."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]
