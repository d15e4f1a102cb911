"""Near-duplicate search: real re-encoded images are found, unrelated ones are not, and the
chunk index answers exactly what a linear scan answers."""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from PIL import Image
from skimage import data as skdata

from fauxlab.provenance.ledger import Ledger
from fauxlab.provenance.ledger.neardup import chunk_keys, chunk_rows, hash_id, probe_keys
from fauxlab.provenance.ledger.synthetic import entry_data, near, random_hex
from fauxlab.provenance.phash import hamming, pdq_hex
from ledger_locations import BACKENDS, locations_for


def jpeg75(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=75)
    return np.asarray(Image.open(buffer).convert("RGB"))


def rgb(image: NDArray[np.uint8]) -> NDArray[np.uint8]:
    return np.repeat(image[:, :, None], 3, axis=2) if image.ndim == 2 else image[:, :, :3]


@pytest.fixture(scope="module")
def real_images() -> dict[str, NDArray[np.uint8]]:
    names = ["astronaut", "camera", "coffee", "chelsea", "rocket", "immunohistochemistry"]
    names.append("hubble_deep_field")  # never recorded below
    return {name: rgb(getattr(skdata, name)()) for name in names}


def test_finds_a_reencoded_real_image_and_nothing_unrelated(
    ledger_location: Path | str, real_images: dict[str, NDArray[np.uint8]]
) -> None:
    rng = random.Random(5)
    with Ledger(ledger_location) as ledger:
        recorded = {
            name: ledger.append(entry_data(rng, k, pdq=[pdq_hex(image)]))
            for k, (name, image) in enumerate(real_images.items())
            if name != "hubble_deep_field"
        }
        ledger.append_many([entry_data(rng, 100 + k) for k in range(300)])  # random noise
        query = pdq_hex(jpeg75(real_images["astronaut"]))
        matches = ledger.find_near(query)
        assert [m.entry for m in matches] == [recorded["astronaut"]]
        assert matches[0].distance == hamming(query, recorded["astronaut"].pdq[0]) <= 31
        assert ledger.find_near(query, scan=True) == matches
        # a real image never recorded matches nothing
        assert ledger.find_near(pdq_hex(real_images["hubble_deep_field"])) == []


def test_finds_video_entries_by_any_frame(ledger_location: Path | str) -> None:
    rng = random.Random(6)
    with Ledger(ledger_location) as ledger:
        video = ledger.append(entry_data(rng, 1, kind="video", frames=6))
        ledger.append_many([entry_data(rng, 10 + k) for k in range(50)])
        one_frame = near(video.pdq[4], 20, rng)
        assert [(m.entry.index, m.distance) for m in ledger.find_near(one_frame)] == [(0, 20)]
        frames = [random_hex(rng), near(video.pdq[2], 9, rng)]
        assert ledger.find_near(frames)[0] == (video, 9)


def test_ranking_limit_and_distance_bounds(ledger_location: Path | str) -> None:
    rng = random.Random(7)
    base = random_hex(rng)
    with Ledger(ledger_location) as ledger:
        for k, distance in enumerate((31, 5, 32, 0, 17, 5, 47, 48, 60)):
            ledger.append(entry_data(rng, k, pdq=[near(base, distance, rng)]))
        found = ledger.find_near(base, limit=None)
        assert [(m.entry.index, m.distance) for m in found] == [
            (3, 0),
            (1, 5),
            (5, 5),
            (4, 17),
            (0, 31),
        ]
        assert [m.distance for m in ledger.find_near(base, limit=2)] == [0, 5]
        assert [m.distance for m in ledger.find_near(base, 47, None)][-2:] == [32, 47]
        assert [m.distance for m in ledger.find_near(base, 64, None)][-3:] == [47, 48, 60]  # scan
        with pytest.raises(ValueError, match="max_distance"):
            ledger.find_near(base, 300)
        with pytest.raises(ValueError, match="64 hex"):
            ledger.find_near("abc")


def test_index_rows_are_the_same_by_numpy_and_by_python() -> None:
    rng = random.Random(9)
    digests = [(hash_id(k, k % 3), bytes.fromhex(random_hex(rng))) for k in range(40)]
    for part in (digests, digests[:3]):  # numpy from 16 hashes on, plain Python below
        expected = sorted((key, hid) for hid, digest in part for key in chunk_keys(digest))
        assert chunk_rows(part) == expected


def test_probe_counts() -> None:
    digest = bytes(32)
    assert len(probe_keys([digest], 15)) == 16  # radius 0: the chunks themselves
    assert len(probe_keys([digest], 31)) == 16 * 17
    assert len(probe_keys([digest], 47)) == 16 * (1 + 16 + 120)


@pytest.fixture(scope="module", params=BACKENDS)
def haystack(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Ledger, list[str]]]:
    """Random entries plus, around 8 targets, neighbours at distances 0, 5, ..., 50."""
    rng = random.Random(8)
    items = [entry_data(rng, k) for k in range(400)]
    targets = [random_hex(rng) for _ in range(8)]
    for k, target in enumerate(targets):
        for j, distance in enumerate(range(0, 51, 5)):
            items.append(entry_data(rng, 1000 + 100 * k + j, pdq=[near(target, distance, rng)]))
    location = locations_for(request.param, tmp_path_factory.mktemp("near"), request)()
    with Ledger(location) as ledger:
        ledger.append_many(items)
        yield ledger, targets


@settings(max_examples=40, deadline=None)
@given(target=st.integers(0, 7), max_distance=st.integers(0, 50), flips=st.integers(0, 20))
def test_index_answers_exactly_what_a_scan_answers(
    haystack: tuple[Ledger, list[str]], target: int, max_distance: int, flips: int
) -> None:
    ledger, targets = haystack
    query = near(targets[target], flips, random.Random(flips))
    indexed = ledger.find_near(query, max_distance, limit=None)
    assert indexed == ledger.find_near(query, max_distance, limit=None, scan=True)
    assert all(m.distance <= max_distance for m in indexed)
