"""A sealed picture edited the way reposts are (issue 29's table) is still traced by verify:
the watermark found with the sealed id, the ledger entry found by it, and the edit the
decoder undid named. Real seal, real edits, real verify; nothing mocked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image, ImageEnhance, ImageOps

from fauxlab.media import read_image, write_image
from fauxlab.provenance.context import Provenance
from fauxlab.provenance.seal import ModelInfo, SealedMedia, seal_image
from fauxlab.provenance.verify import verify_file
from repost_edits import crop as _crop
from repost_edits import jpeg as _jpeg
from repost_edits import mirror as _mirror
from repost_edits import pad as _pad
from repost_edits import rotate as _rotate
from repost_edits import screenshot as _screenshot

RGB = NDArray[np.uint8]
MODEL = ModelInfo("test-generator", "cd" * 32)


def _pil(edit: Callable[[Image.Image], Image.Image]) -> Callable[[RGB], RGB]:
    return lambda image: np.asarray(edit(Image.fromarray(image)).convert("RGB"))


# edit, and a phrase the reading must use for what it undid ("" where nothing need be)
EDITS: dict[str, tuple[Callable[[RGB], RGB], str]] = {
    "screenshot": (_screenshot, ""),
    "jpeg 40": (lambda im: _jpeg(im, 40), ""),
    "greyscale": (_pil(ImageOps.grayscale), ""),
    "saturation 0.5": (_pil(lambda im: ImageEnhance.Color(im).enhance(0.5)), ""),
    "contrast 1.3": (_pil(lambda im: ImageEnhance.Contrast(im).enhance(1.3)), ""),
    "rotate 1": (lambda im: _rotate(im, 1), ""),
    "rotate 2": (lambda im: _rotate(im, 2), ""),
    "rotate 5": (lambda im: _rotate(im, 5), "5-degree counter-clockwise rotation"),
    "rotate -8": (lambda im: _rotate(im, -8), "8-degree clockwise rotation"),
    "mirror": (_mirror, "a mirror"),
    "crop 70% w x 90% h": (lambda im: _crop(im, 0.9, 0.7), "a crop to"),
    "pad to 16:9": (lambda im: _pad(im, 16 / 9), "pillarbox bars"),
    "pad to 9:16": (lambda im: _pad(im, 9 / 16), "letterbox bars"),
    "screenshot + mirror": (lambda im: _mirror(_screenshot(im)), "a mirror"),
    "pad 16:9 + jpeg 75": (lambda im: _jpeg(_pad(im, 16 / 9), 75), "pillarbox bars"),
    "rotate 5 + crop 90%": (lambda im: _crop(_rotate(im, 5), 0.9, 0.9), "rotation"),
}


@pytest.fixture(scope="module")
def provenance(tmp_path_factory: pytest.TempPathFactory) -> Provenance:
    folder = tmp_path_factory.mktemp("reposts")
    return Provenance(ledger_path=folder / "ledger.sqlite", identity_dir=folder / "identity")


@pytest.fixture(scope="module")
def sealed(
    provenance: Provenance, astronaut: RGB, tmp_path_factory: pytest.TempPathFactory
) -> SealedMedia:
    out = tmp_path_factory.mktemp("sealed") / "astronaut.png"
    return seal_image(astronaut, out, MODEL, provenance=provenance)


@pytest.fixture(scope="module")
def sealed_face(
    provenance: Provenance, shared_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> SealedMedia:
    """A real UTKFace face at 256 px, the smallest size the issue's goal covers."""
    files = sorted((shared_data / "faces" / "utkface").glob("*.jpg"))
    if not files:
        pytest.skip("no UTKFace faces in the shared data")
    face = np.asarray(Image.open(files[len(files) // 3]).convert("RGB"))
    face = cv2.resize(face, (256, 256), interpolation=cv2.INTER_CUBIC)
    out = tmp_path_factory.mktemp("sealed") / "face.png"
    return seal_image(face, out, MODEL, provenance=provenance)


def _check(sealed: SealedMedia, provenance: Provenance, edit: str, folder: Path) -> None:
    apply, phrase = EDITS[edit]
    copy = folder / "repost.png"
    write_image(copy, apply(read_image(sealed.path)))
    report = verify_file(copy, provenance)
    mark = report.watermark
    assert mark is not None and mark.found, f"{edit}: {mark}"
    assert mark.payload == sealed.watermark_id
    assert report.ledger.status == "watermark" and report.ledger.proof_verified
    assert report.ledger.entry is not None and report.ledger.entry.index == sealed.entry_index
    assert report.sealed_by_fauxlab
    assert phrase in " ".join(mark.undone), f"{edit}: undid {mark.undone}"
    assert report.to_dict()["watermark"]["edits_undone"] == list(mark.undone)


@pytest.mark.parametrize("edit", list(EDITS))
def test_repost_of_a_sealed_picture_is_traced(
    sealed: SealedMedia, provenance: Provenance, edit: str, tmp_path: Path
) -> None:
    _check(sealed, provenance, edit, tmp_path)


@pytest.mark.parametrize(
    "edit", ["rotate 5", "mirror", "crop 70% w x 90% h", "pad to 16:9", "screenshot + mirror"]
)
def test_repost_of_a_small_sealed_face_is_traced(
    sealed_face: SealedMedia, provenance: Provenance, edit: str, tmp_path: Path
) -> None:
    _check(sealed_face, provenance, edit, tmp_path)


def test_rotation_and_mirror_are_measured(
    sealed: SealedMedia, provenance: Provenance, tmp_path: Path
) -> None:
    copy = tmp_path / "turned.png"
    write_image(copy, _rotate(_mirror(read_image(sealed.path)), -4))
    mark = verify_file(copy, provenance).watermark
    assert mark is not None and mark.found and mark.payload == sealed.watermark_id
    assert mark.mirrored and mark.rotation == pytest.approx(-4.0, abs=0.5)


@pytest.mark.parametrize(
    ("edit", "variant"),
    [("mirror", "mirrored"), ("pad to 16:9", "pillarbox bars removed")],
)
def test_unmarked_original_edited_is_a_near_match_by_pdq(
    sealed: SealedMedia,
    provenance: Provenance,
    astronaut: RGB,
    edit: str,
    variant: str,
    tmp_path: Path,
) -> None:
    """The picture a fake was made from, never marked, reposted mirrored or letterboxed:
    no watermark, but the ledger's PDQ look-up finds the sealed copy through a variant."""
    copy = tmp_path / "lookalike.png"
    write_image(copy, EDITS[edit][0](astronaut))
    report = verify_file(copy, provenance)
    assert report.watermark is not None and not report.watermark.found
    assert report.ledger.status == "near" and report.ledger.variant == variant
    assert report.ledger.entry is not None and report.ledger.entry.index == sealed.entry_index
    assert not report.sealed_by_fauxlab
