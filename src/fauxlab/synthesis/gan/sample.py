"""Use a trained generator: load it (a run folder, or later a built-in name), draw samples,
walk its latent space. Every picture and video leaves through `fauxlab.provenance.seal`.

The weights of a generator are one fp16 safetensors file whose metadata holds its
architecture, so a file is enough to rebuild it: `RUN/generator.safetensors`, or a file
shipped as `fauxlab/assets/gan/<name>.safetensors` and named by `<name>`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save
from torch import nn

from fauxlab.errors import ModelError, OutputExistsError
from fauxlab.media import Frame
from fauxlab.provenance.context import Provenance
from fauxlab.provenance.seal import ModelInfo, SealedMedia, seal_image, seal_video
from fauxlab.synthesis.gan.imaging import RGB, to_uint8, upscale
from fauxlab.synthesis.gan.models import Architecture, build_generator
from fauxlab.training import load_weights

GENERATOR_FILE = "generator.safetensors"
FORMAT = "fauxlab-gan-generator/1"


def builtin_generators() -> dict[str, Path]:
    """Generators shipped with fauxlab, by name (files under fauxlab/assets/gan/)."""
    folder = resources.files("fauxlab") / "assets" / "gan"
    if not folder.is_dir():
        return {}
    return {
        Path(p.name).stem: Path(str(p)) for p in folder.iterdir() if p.name.endswith(".safetensors")
    }


def resolve_generator(source: str | Path) -> Path:
    """A run folder, a generator .safetensors file, or the name of a built-in generator."""
    path = Path(source)
    if path.is_dir():
        path = path / GENERATOR_FILE
        if not path.is_file():
            raise ModelError(
                f"{source}: no {GENERATOR_FILE} in this run folder; "
                "train it first (fauxlab gan train) or wait for its first checkpoint"
            )
        return path
    if path.is_file():
        return path
    builtin = builtin_generators()
    if str(source) in builtin:
        return builtin[str(source)]
    names = ", ".join(sorted(builtin)) or "none shipped yet"
    raise ModelError(f"{source}: not a run folder, weights file or built-in generator ({names})")


def generator_bytes(generator: nn.Module, arch: Architecture, step: int) -> bytes:
    """The generator's weights as fp16 safetensors with its architecture in the metadata."""
    tensors = {k: v.detach().cpu().to(torch.float16) for k, v in generator.state_dict().items()}
    metadata = {"format": FORMAT, "architecture": json.dumps(arch.to_dict()), "step": str(step)}
    return save(tensors, metadata)


@dataclass
class LoadedGenerator:
    module: nn.Module
    arch: Architecture
    name: str
    sha256: str
    step: int

    @property
    def model_info(self) -> ModelInfo:
        return ModelInfo(f"fauxlab-gan/{self.arch.model}-{self.arch.size}", self.sha256)

    @torch.no_grad()
    def generate(self, z: torch.Tensor) -> list[RGB]:
        return to_uint8(self.module(z))

    def latents(self, n: int, seed: int) -> torch.Tensor:
        rng = torch.Generator().manual_seed(seed)
        return torch.randn(n, self.arch.z_dim, generator=rng)


SAMPLE_BATCH = 64


@dataclass(frozen=True)
class GeneratorSampler:
    """A trained generator as a source of training fakes: `draw(count, seed)` gives the
    same images for the same seed, in batches, without touching the disk. The generator
    (`source`: a shipped name, a run or a .safetensors file) loads when first used."""

    source: str

    @cached_property
    def generator(self) -> LoadedGenerator:
        return load_generator(self.source)

    @property
    def name(self) -> str:
        path = Path(self.source)
        return path.parent.name if path.name == GENERATOR_FILE else path.stem

    def draw(self, count: int, seed: int) -> Iterator[RGB]:
        latents = self.generator.latents(count, seed)
        for start in range(0, count, SAMPLE_BATCH):
            yield from self.generator.generate(latents[start : start + SAMPLE_BATCH])

    def describe(self) -> dict[str, Any]:
        g = self.generator
        return {"generator": self.source, "step": g.step, "sha256": g.sha256}


def load_generator(source: str | Path) -> LoadedGenerator:
    path = resolve_generator(source)
    tensors, metadata = load_weights(path)
    if metadata.get("format") != FORMAT:
        raise ModelError(f"{path}: not a fauxlab GAN generator (format {metadata.get('format')})")
    try:
        arch = Architecture.from_dict(json.loads(metadata["architecture"]))
        arch.check()
        module = build_generator(arch)
        module.load_state_dict({k: v.float() for k, v in tensors.items()})
    except (KeyError, ValueError, RuntimeError) as exc:
        raise ModelError(f"{path}: weights do not match the generator's code ({exc})") from exc
    module.eval()
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return LoadedGenerator(module, arch, str(source), digest, int(metadata.get("step", "0")))


def write_samples(
    generator: LoadedGenerator,
    count: int,
    out_dir: Path,
    seed: int = 0,
    provenance: Provenance | None = None,
) -> list[SealedMedia]:
    """`count` sealed PNGs in a new folder `out_dir` (sample-00000.png, ...)."""
    if out_dir.exists():
        raise OutputExistsError(f"{out_dir}: already exists; choose another path or remove it")
    out_dir.mkdir(parents=True)
    written: list[SealedMedia] = []
    latents = generator.latents(count, seed)
    for start in range(0, count, 64):
        z = latents[start : start + 64]
        for i, image in enumerate(generator.generate(z), start):
            title = f"GAN sample {i} (seed {seed}) from {generator.name}"
            written.append(
                seal_image(
                    upscale(image),
                    out_dir / f"sample-{i:05d}.png",
                    generator.model_info,
                    title=title,
                    provenance=provenance,
                )
            )
    return written


def slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation: Gaussian latents live near a sphere, and a straight line
    between two of them passes through the low-norm middle that G rarely saw."""
    cos = torch.nn.functional.cosine_similarity(a, b, dim=-1).clamp(-1.0, 1.0)
    omega = torch.arccos(cos)
    if float(omega.abs().max()) < 1e-6:
        return a + (b - a) * t
    sin = torch.sin(omega)
    return (
        torch.sin((1 - t) * omega)[..., None] / sin[..., None] * a
        + torch.sin(t * omega)[..., None] / sin[..., None] * b
    )


def walk_frames(
    generator: LoadedGenerator, seconds: float, fps: int = 24, seed: int = 0, side: int = 256
) -> Iterator[Frame]:
    """A looping latent walk: one new keyframe a second, slerp between them."""
    keys = max(2, math.ceil(seconds))
    z = generator.latents(keys, seed)
    z = torch.cat([z, z[:1]])  # back to the start, so the video loops
    total = max(2, round(seconds * fps))
    for index in range(total):
        position = index / total * keys
        k = min(int(position), keys - 1)
        latent = slerp(z[k : k + 1], z[k + 1 : k + 2], position - k)
        image = generator.generate(latent)[0]
        yield Frame(index, index / fps, upscale(image, side, smooth=True))


def write_interpolation(
    generator: LoadedGenerator,
    out: Path,
    seconds: float = 4.0,
    seed: int = 0,
    fps: int = 24,
    provenance: Provenance | None = None,
) -> SealedMedia:
    if out.exists():
        raise OutputExistsError(f"{out}: already exists; choose another path or remove it")
    frames = walk_frames(generator, seconds, fps, seed)
    title = f"GAN latent walk (seed {seed}) from {generator.name}"
    return seal_video(frames, fps, out, generator.model_info, title=title, provenance=provenance)
