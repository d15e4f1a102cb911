"""`fauxlab demo`: run once (it is the slow part) and check every part of its page."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cli_helpers import assert_clean_error, fauxlab
from fauxlab.demo.detect_part import load_detectors
from fauxlab.demo.gan_part import run_gan_part
from fauxlab.demo.page import write_page
from fauxlab.demo.provenance_part import demo_provenance
from fauxlab.demo.run import MARKER, prepare_folder
from fauxlab.errors import ModelError
from fauxlab.media import probe_video
from fauxlab.provenance.verify import verify_file


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any], str]:
    out = tmp_path_factory.mktemp("demo") / "demo"
    # ~15 CPU-seconds, but minutes of wall time on a machine busy with training: a longer
    # leash than cli_helpers' 300 s
    result = subprocess.run(
        [sys.executable, "-m", "fauxlab", "demo", "--out", str(out), "--json"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    return out, json.loads(result.stdout), (out / "index.html").read_text()


def test_face_pipeline_part(demo: tuple[Path, dict[str, Any], str]) -> None:
    out, facts, page = demo
    assert facts["faces_in_still"] == 1
    assert facts["clip"]["tracks"] == 1 and facts["clip"]["audio"] == "aac"
    assert facts["identity"]["mirrored"] < 0.6
    for name in (
        "still_annotated.png",
        "still_aligned.png",
        "still_masks.png",
        "clip_tracks.png",
        "clip.mp4",
    ):
        assert name in page and (out / name).is_file()


def test_provenance_part(demo: tuple[Path, dict[str, Any], str]) -> None:
    rows = {row["file"]: row for row in demo[1]["provenance"]}
    assert rows["sealed.png"]["c2pa"].startswith("valid, ours")
    assert rows["reshared.jpg"]["sealed_by_fauxlab"] and rows["reshared.jpg"]["c2pa"] == "none"
    assert not rows["original.png"]["sealed_by_fauxlab"]
    assert rows["original.png"]["ledger"].startswith("near")
    assert "INVALID" in rows["tampered.jpg"]["c2pa"]


def test_gan_part_is_sealed_and_shown(demo: tuple[Path, dict[str, Any], str]) -> None:
    out, facts, page = demo
    gan = facts["gan"]
    provenance = demo_provenance(out / "provenance")
    for name in ("anime", "utkface"):
        assert "error" not in gan[name], gan[name]
        files = [gan[name]["grid"], *gan[name]["samples"]]
        assert gan[name]["grid"] in page and len(gan[name]["samples"]) >= 1
        for file in files:
            assert verify_file(out / file, provenance).sealed_by_fauxlab, file
    walk = out / gan["walk"]["file"]
    assert gan["walk"]["file"] in page and probe_video(walk).duration >= 2
    assert verify_file(walk, provenance).sealed_by_fauxlab
    assert "discriminator" in page


def test_face_replaced_clip_has_sound_and_is_sealed(
    demo: tuple[Path, dict[str, Any], str],
) -> None:
    out, facts, page = demo
    replaced = facts["face_replaced"]
    assert "error" not in replaced, replaced
    clip = out / replaced["file"]
    assert replaced["frames_replaced"] == replaced["frames"] > 0
    assert probe_video(clip).audio_codec == "aac"
    report = verify_file(clip, demo_provenance(out / "provenance"))
    assert report.sealed_by_fauxlab and not report.tampered
    assert report.credentials is not None and report.credentials.ai_generated
    assert replaced["file"] in page and replaced["still"] in page
    assert (out / replaced["still"]).is_file()


def test_detection_table_and_reports(demo: tuple[Path, dict[str, Any], str]) -> None:
    out, facts, page = demo
    detection = facts["detection"]
    rows = {row["file"]: row for row in detection["files"]}
    assert all("error" not in row for row in rows.values()), rows
    real = rows["detection/astronaut.png"]
    assert not real["marks_found"] and real["content_verdict"] in ("fake", "real", "uncertain")
    assert set(real["detectors"]) == set(detection["detectors"])
    for file in [*facts["gan"]["anime"]["samples"], facts["face_replaced"]["file"]]:
        assert rows[file]["marks_found"] and rows[file]["verdict"] == "fake"
        assert rows[file]["probability"] == 1.0  # our marks settle it
    replaced = rows[facts["face_replaced"]["file"]]
    assert replaced["faces"] > 0 and replaced["detectors"]["learned"] is not None
    for report in (detection["report"], detection["content_report"]):
        assert report in page and (out / report).is_file()
    assert "fauxlab detection report" in (out / detection["report"]).read_text()
    assert "content detectors (without our marks)" in page and "what our marks say" in page
    table = page[page.index("<table>", page.index("6. Is it fake")) :]
    assert len(re.findall(r"<tr><td>", table[: table.index("</table>")])) == len(rows)


def test_rerun_replaces_only_its_own_folder(tmp_path: Path) -> None:
    own = tmp_path / "own"
    own.mkdir()
    (own / MARKER).write_text("made by the demo")
    (own / "stale.png").write_text("old")
    prepare_folder(own)
    assert (own / MARKER).is_file() and not (own / "stale.png").exists()
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    assert_clean_error(fauxlab("demo", "--out", foreign), "not made by")
    assert (foreign / "keep.txt").read_text() == "mine"


def test_missing_generator_and_detector_are_said_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_generator(name: str) -> None:
        raise ModelError(f"{name}: not a run folder, weights file or built-in generator")

    def broken(names: list[str]) -> None:
        raise RuntimeError("weights do not fit")

    monkeypatch.setattr("fauxlab.demo.gan_part.load_generator", no_generator)
    monkeypatch.setattr("fauxlab.demo.detect_part.available_detectors", broken)
    provenance = demo_provenance(tmp_path / "provenance")
    gan = run_gan_part(tmp_path / "gan", provenance)
    assert not gan.generators and "error" in gan.facts["anime"] and "walk" not in gan.facts
    detectors, skipped = load_detectors(provenance)
    assert [d.name for d in detectors] == ["provenance"]
    assert "learned" in {s.name for s in skipped}
    facts = {
        "gan": gan.facts,
        "face_replaced": {"error": "the built-in generator utkface is not available"},
        "detection": {
            "detectors": [],
            "skipped": [{"name": s.name, "reason": s.reason} for s in skipped],
            "keyframes": 8,
            "real_below": 0.35,
            "fake_from": 0.65,
            "report": "detection/report.html",
            "content_report": "detection/report-content.html",
            "files": [],
        },
    }
    page = write_page(tmp_path, facts).read_text()
    assert "anime: not available" in page and "utkface is not available" in page
    assert "Detector learned could not load" in page and "weights do not fit" in page
