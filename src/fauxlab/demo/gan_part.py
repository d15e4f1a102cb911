"""The demo's GAN part: sealed samples and a latent walk from the built-in generators.

The samples it writes are the GAN files the detection part scores, so the page can show
a picture next to what `fauxlab detect` says about it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fauxlab.errors import FauxlabError
from fauxlab.provenance.context import Provenance
from fauxlab.provenance.seal import seal_image
from fauxlab.synthesis.gan.imaging import make_grid, upscale
from fauxlab.synthesis.gan.sample import (
    LoadedGenerator,
    load_generator,
    write_interpolation,
    write_samples,
)

GENERATORS = ("anime", "utkface")
GRID = 16  # faces per grid
SCORED = 2  # samples per generator that the detection part scores
WALK = "anime"  # whose latent space the walk goes through
WALK_SECONDS = 3.0
WALK_FPS = 12  # a smooth enough walk at half the frames to seal
SEED = 0


@dataclass
class GanPart:
    """What the GAN part made, and the generators the face replacement may use."""

    facts: dict[str, Any] = field(default_factory=dict)
    generators: dict[str, LoadedGenerator] = field(default_factory=dict)
    samples: list[tuple[Path, str]] = field(default_factory=list)  # (file, what it is)


def _one(generator: LoadedGenerator, name: str, out: Path, provenance: Provenance) -> Path:
    """A sealed grid of GRID faces (each tile at the generator's own size) and SCORED
    sealed single samples; returns the grid."""
    faces = generator.generate(generator.latents(GRID, SEED))
    grid = seal_image(
        upscale(make_grid(faces, columns=8)),
        out / f"{name}-grid.png",
        generator.model_info,
        title=f"{GRID} GAN samples (seed {SEED}) from the built-in generator {name}",
        provenance=provenance,
    )
    write_samples(generator, SCORED, out / f"{name}-samples", SEED, provenance)
    return grid.path


def run_gan_part(out: Path, provenance: Provenance) -> GanPart:
    """Never raises for a missing or broken generator: the page says which one is missing."""
    out.mkdir(parents=True, exist_ok=True)
    part = GanPart()
    for name in GENERATORS:
        try:
            generator = load_generator(name)
            grid = _one(generator, name, out, provenance)
        except FauxlabError as exc:
            part.facts[name] = {"error": str(exc)}
            continue
        part.generators[name] = generator
        samples = sorted((out / f"{name}-samples").glob("*.png"))
        part.samples += [(p, f"a face drawn by the built-in GAN {name!r}") for p in samples]
        part.facts[name] = {
            "model": generator.model_info.name,
            "training_steps": generator.step,
            "grid": grid.relative_to(out.parent).as_posix(),
            "samples": [p.relative_to(out.parent).as_posix() for p in samples],
        }
    if WALK not in part.generators:
        return part
    try:
        walk = write_interpolation(
            part.generators[WALK],
            out / f"{WALK}-walk.mp4",
            seconds=WALK_SECONDS,
            seed=SEED,
            fps=WALK_FPS,
            provenance=provenance,
        )
    except FauxlabError as exc:
        part.facts["walk"] = {"error": str(exc)}
    else:
        part.facts["walk"] = {
            "generator": WALK,
            "file": walk.path.relative_to(out.parent).as_posix(),
            "seconds": WALK_SECONDS,
        }
    return part
