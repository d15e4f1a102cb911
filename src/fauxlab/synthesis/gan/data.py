"""Training images: a folder decoded once into one uint8 tensor, served in random batches.

16k images of 64x64x3 are 200 MB as uint8: small enough to hold, and decoding once is far
faster than a DataLoader re-reading JPEGs on two cores. Images are centre-cropped to a
square and resized to the model's size with Pillow's Lanczos filter.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch

from fauxlab.datasplit import split_files
from fauxlab.errors import FauxlabError, InputError, SettingError
from fauxlab.media import centre_square, image_files, read_image


def load_images(
    folder: Path,
    size: int,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    holdout: int = 0,
    held_out: bool = False,
) -> tuple[torch.Tensor, int]:
    """The training images of `folder` (or, with `held_out`, the held-out ones) as
    (N, 3, size, size) uint8, and how many files were skipped as unreadable.

    `holdout` files (by name hash) are held out; `limit` then keeps the first N."""
    training, held = split_files(image_files(folder), holdout)
    files = (held if held_out else training)[:limit]
    out = torch.empty((len(files), 3, size, size), dtype=torch.uint8)
    count = skipped = 0
    for i, path in enumerate(files):
        try:
            pixels = centre_square(read_image(path), size)
        except FauxlabError:
            skipped += 1
            continue
        out[count] = torch.from_numpy(pixels).permute(2, 0, 1)
        count += 1
        if progress is not None and (i % 256 == 0 or i == len(files) - 1):
            progress(i + 1, len(files))
    if count == 0:
        raise InputError(f"{folder}: none of {len(files)} images could be read")
    return out[:count], skipped


class Batches:
    """Endless random batches without replacement within an epoch, with random x-flips.

    The order and the flips come from the training generator; `state()` and `restore()`
    let a resumed run continue with exactly the batches it would have seen."""

    def __init__(self, images: torch.Tensor, batch: int, rng: torch.Generator) -> None:
        if batch > images.shape[0]:
            raise SettingError(
                f"`batch` {batch} is larger than the {images.shape[0]} images", settings=["batch"]
            )
        self.images, self.batch, self.rng = images, batch, rng
        self.order = torch.randperm(images.shape[0], generator=rng)
        self.cursor = 0

    def next(self, device: torch.device) -> torch.Tensor:
        """A float batch in [-1, 1], shape (batch, 3, S, S)."""
        if self.cursor + self.batch > self.order.shape[0]:
            self.order = torch.randperm(self.images.shape[0], generator=self.rng)
            self.cursor = 0
        index = self.order[self.cursor : self.cursor + self.batch]
        self.cursor += self.batch
        x = self.images[index].to(device=device, dtype=torch.float32) / 127.5 - 1.0
        flip = torch.rand(self.batch, generator=self.rng) < 0.5
        return torch.where(flip.to(device)[:, None, None, None], x.flip(3), x)

    def state(self) -> dict[str, object]:
        return {"order": self.order.clone(), "cursor": self.cursor}

    def restore(self, state: dict[str, object]) -> None:
        order = state["order"]
        if not isinstance(order, torch.Tensor) or order.shape[0] != self.images.shape[0]:
            raise InputError(
                "the data folder holds a different number of images than when this run "
                "was checkpointed; resume with the same DATA_DIR"
            )
        self.order = order
        self.cursor = int(str(state["cursor"]))
