"""Where training images come from: folders of real or fake images, and generators
sampled in memory (their samples never touch the disk unsealed).

Every image is first centre-cropped and resized to the fakes' size (Lanczos, as the GAN
trainer shrank its reals), so that size alone never tells the classes apart. Each folder
keeps its last files by name for evaluation only, the same rule `fauxlab gan train
--holdout` uses: a GAN trained with `--holdout 1000` never saw the images we test it on.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from fauxlab.errors import FauxlabError, InputError
from fauxlab.media import read_image
from fauxlab.media.images import RGBImage
from fauxlab.synthesis.gan.data import image_files, split_files
from fauxlab.synthesis.gan.sample import GENERATOR_FILE, LoadedGenerator, load_generator

HELD_OUT_SEED = 1_000_003  # latents for evaluation come from a stream training never uses
BATCH = 64


def to_size(image: RGBImage, size: int) -> RGBImage:
    """Centre square crop, then Lanczos to size x size."""
    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    crop = image[top : top + side, left : left + side]
    if side == size:
        return np.ascontiguousarray(crop)
    resized = Image.fromarray(crop).resize((size, size), Image.Resampling.LANCZOS)
    return np.asarray(resized, dtype=np.uint8)


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
class GeneratorSource:
    """A trained generator: fresh samples, drawn in memory from seeded latents."""

    source: str
    size: int
    seed: int
    generator: LoadedGenerator = field(init=False)
    skipped: list[Path] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.generator = load_generator(self.source)

    @property
    def name(self) -> str:
        path = Path(self.source)
        return path.parent.name if path.name == GENERATOR_FILE else path.stem

    def _draw(self, count: int, seed: int) -> Iterator[RGBImage]:
        latents = self.generator.latents(count, seed)
        for start in range(0, count, BATCH):
            for image in self.generator.generate(latents[start : start + BATCH]):
                yield to_size(image, self.size)

    def training(self, count: int, rng: np.random.Generator) -> Iterator[RGBImage]:
        yield from self._draw(count, int(rng.integers(0, HELD_OUT_SEED)))

    def held_out(self, count: int) -> Iterator[RGBImage]:
        yield from self._draw(count, HELD_OUT_SEED + self.seed)


Source = FolderSource | GeneratorSource


def check_sources(reals: list[Source], fakes: list[Source]) -> None:
    if not reals:
        raise InputError("no real images: give at least one --real DIR")
    if not fakes:
        raise InputError("no fake images: give at least one --fake DIR or --fake-generator RUN")


def split_count(total: int, parts: int) -> list[int]:
    """`total` spread as evenly as possible over `parts`."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]
