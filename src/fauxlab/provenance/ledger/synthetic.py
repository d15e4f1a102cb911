"""Random but valid ledger entries, for benchmarks, tests and demos at any scale.

Real PDQ hashes cost a decode each; a million-entry benchmark needs hashes by the
million, so these are uniform random bits (real ones are less uniform, which only makes
the chunk index's buckets less even). `near` plants a copy of a hash at a chosen
Hamming distance, to have something for a near-duplicate search to find.
"""

from __future__ import annotations

import random

from fauxlab.provenance.ledger.entries import EntryData, GeneratorInfo, Kind

GENERATOR = GeneratorInfo(
    name="fauxlab", version="0.1.0", model="synthetic", weights_sha256="0" * 64
)


def random_hex(rng: random.Random, bits: int = 256) -> str:
    return f"{rng.getrandbits(bits):0{bits // 4}x}"


def near(pdq_hex: str, distance: int, rng: random.Random) -> str:
    """`pdq_hex` with exactly `distance` of its 256 bits flipped."""
    value = int(pdq_hex, 16)
    for bit in rng.sample(range(256), distance):
        value ^= 1 << bit
    return f"{value:064x}"


def entry_data(
    rng: random.Random,
    watermark_id: int,
    *,
    pdq: list[str] | None = None,
    kind: Kind = "image",
    frames: int = 4,
) -> EntryData:
    """One plausible entry; videos get `frames` hashes unless `pdq` is given."""
    hashes = pdq or [random_hex(rng) for _ in range(1 if kind == "image" else frames)]
    return EntryData(
        sha256=random_hex(rng),
        pdq=hashes,
        kind=kind,
        generator=GENERATOR,
        watermark_id=watermark_id,
        sources=[random_hex(rng)],
        file_name=f"sample-{watermark_id}.{'png' if kind == 'image' else 'mp4'}",
    )


def entries(count: int, seed: int = 0, first_watermark: int = 0) -> list[EntryData]:
    """`count` image entries with consecutive watermark ids from `first_watermark`."""
    rng = random.Random(seed)
    return [entry_data(rng, first_watermark + k) for k in range(count)]
