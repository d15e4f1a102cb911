"""`fauxlab detect` on real media: provenance as evidence, the JSON schema, the HTML report,
bad input, and the run loop with small test-only detectors (a face scorer with a heatmap,
a whole-image scorer, one that fails)."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from skimage import data as skdata

from cli_helpers import assert_clean_error, fauxlab
from fauxlab.demo.provenance_part import edit_signed_jpeg
from fauxlab.demo.samples import astronaut
from fauxlab.detection import DetectOptions, detect_file, detect_inputs
from fauxlab.detection.analysed import AnalysedMedia, AnalysisOptions
from fauxlab.detection.detectors.provenance.detector import ProvenanceDetector
from fauxlab.detection.evidence import Detector, Evidence, FaceScore, Figure, Verdict
from fauxlab.detection.report.document import to_document
from fauxlab.detection.report.html import render
from fauxlab.detection.report.schema import validate
from fauxlab.errors import CorruptMediaError
from fauxlab.media import write_image
from fauxlab.provenance.context import Provenance
from fauxlab.provenance.seal import ModelInfo, seal_file, seal_image

MODEL = ModelInfo("test-generator", "cd" * 32)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("detect-home")


@pytest.fixture(autouse=True)
def _use_home(home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Keys and ledger of this module, for the tests and the CLI they start."""
    monkeypatch.setenv("FAUXLAB_HOME", str(home))
    monkeypatch.delenv("FAUXLAB_LEDGER", raising=False)
    yield


@pytest.fixture(scope="module")
def media_dir(tmp_path_factory: pytest.TempPathFactory, home: Path) -> Path:
    """A sealed picture, its re-encoded copy (marks partly lost) and an unmarked photo."""
    folder = tmp_path_factory.mktemp("detect-media")
    provenance = Provenance(home / "ledger.sqlite", home / "identity")
    sealed = seal_image(astronaut(), folder / "generated.png", MODEL, provenance=provenance)
    small = Image.fromarray(np.asarray(Image.open(sealed.path).convert("RGB")))
    small.resize((256, 256), Image.Resampling.BILINEAR).save(folder / "shared.jpg", quality=75)
    write_image(folder / "photo.png", np.ascontiguousarray(astronaut()[:, ::-1]))
    return folder


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    """The JSON on stdout, checked against the published schema."""
    document = json.loads(result.stdout)
    assert validate(document) == [], validate(document)
    return document


def _files(document: Any) -> dict[str, Any]:
    return {Path(f["path"]).name: f for f in document["files"]}


def test_sealed_picture_and_its_copy_are_fake_by_provenance(media_dir: Path) -> None:
    result = fauxlab(
        "detect", media_dir / "generated.png", media_dir / "shared.jpg",
        "--detectors", "provenance", "--json",
    )  # fmt: skip
    assert result.returncode == 1, result.stderr  # a finding
    files = _files(_json(result))
    for name in ("generated.png", "shared.jpg"):
        entry = files[name]
        assert entry["verdict"] == "fake" and entry["probability"] == 1.0
        assert entry["decided_by"] == "provenance"
        (evidence,) = entry["evidence"]
        assert evidence["decisive"] and "watermark" in evidence["summary"]
    # the re-encoded copy lost its manifest but not its watermark
    copy_details = files["shared.jpg"]["evidence"][0]["details"]
    assert copy_details["credentials"]["present"] is False
    assert copy_details["ledger"]["status"] == "watermark"


def test_unmarked_photo_is_not_fake(media_dir: Path) -> None:
    result = fauxlab("detect", media_dir / "photo.png", "--detectors", "provenance", "--json")
    assert result.returncode == 0, result.stderr
    (entry,) = _files(_json(result)).values()
    assert entry["verdict"] != "fake" and entry["probability"] is None
    assert entry["face_count"] >= 1 and entry["faces"]
    (evidence,) = entry["evidence"]
    assert evidence["probability"] is None and not evidence["decisive"]


def test_tampered_and_lookalike_files_are_reported(tmp_path: Path, home: Path) -> None:
    provenance = Provenance(home / "ledger.sqlite", home / "identity")
    sealed = seal_image(astronaut(), tmp_path / "made.jpg", MODEL, provenance=provenance)
    forged = tmp_path / "forged.jpg"
    forged.write_bytes(edit_signed_jpeg(sealed.path.read_bytes()))
    original = tmp_path / "original.png"  # the same picture, never sealed
    write_image(original, astronaut())
    detector = [ProvenanceDetector(provenance)]
    tampered = detect_file(forged, detector)
    assert tampered.verdict is Verdict.FAKE  # the watermark still says so
    assert "edited after signing" in tampered.evidence[0].summary
    assert tampered.evidence[0].details["tampered"] is True
    lookalike = detect_file(original, detector)
    assert lookalike.verdict is not Verdict.FAKE and lookalike.probability is None
    assert "looks like ledger entry" in lookalike.evidence[0].summary


def test_readable_table_without_json(media_dir: Path) -> None:
    result = fauxlab("detect", media_dir / "generated.png", "--detectors", "provenance")
    assert result.returncode == 1
    assert "fake" in result.stdout and "generated.png" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_sealed_video_is_fake(tmp_path: Path, home: Path, video_with_audio: Path) -> None:
    provenance = Provenance(home / "ledger.sqlite", home / "identity")
    sealed = seal_file(video_with_audio, tmp_path / "clip.mp4", MODEL, provenance=provenance)
    result = fauxlab("detect", sealed.path, "--detectors", "provenance", "--frames", "4", "--json")
    assert result.returncode == 1, result.stderr
    (entry,) = _files(_json(result)).values()
    assert entry["kind"] == "video" and entry["verdict"] == "fake"
    assert entry["keyframes"] == 4 and entry["duration"] == pytest.approx(5.0, abs=0.2)


def test_folder_goes_on_past_a_corrupt_file(tmp_path: Path, media_dir: Path) -> None:
    folder = tmp_path / "inbox"
    (folder / "sub").mkdir(parents=True)
    write_image(folder / "sub" / "good.png", astronaut())
    cut = folder / "cut.jpg"
    Image.fromarray(astronaut()).save(cut, quality=90)
    cut.write_bytes(cut.read_bytes()[:5000])
    (folder / "notes.txt").write_text("not media, skipped quietly")
    result = fauxlab("detect", folder, "--detectors", "provenance", "--json")
    assert result.returncode == 0, result.stderr
    document = _json(result)
    assert list(_files(document)) == ["good.png"]
    assert [Path(e["path"]).name for e in document["errors"]] == ["cut.jpg"]
    assert "cut.jpg" in result.stderr and "Traceback" not in result.stderr


def test_worker_processes_give_the_same_answers_in_input_order(
    tmp_path: Path, media_dir: Path
) -> None:
    """--jobs 2 spawns workers with their own detectors: same reports, same order, and
    a corrupt file among them still listed rather than fatal."""
    cut = tmp_path / "cut.jpg"
    Image.fromarray(astronaut()).save(cut, quality=90)
    cut.write_bytes(cut.read_bytes()[:5000])
    inputs = [media_dir / "generated.png", cut, media_dir / "photo.png", media_dir / "shared.jpg"]
    args = ("detect", *inputs, "--detectors", "provenance,spectrum", "--json")
    serial, pooled = fauxlab(*args), fauxlab(*args, "--jobs", "2")
    assert serial.returncode == pooled.returncode == 1, pooled.stderr
    one, two = _json(serial), _json(pooled)
    assert [f["path"] for f in two["files"]] == [f["path"] for f in one["files"]]
    assert [f["verdict"] for f in two["files"]] == ["fake", "real", "fake"]
    for a, b in zip(one["files"], two["files"], strict=True):
        assert a["probability"] == pytest.approx(b["probability"], abs=1e-6)
    assert [Path(e["path"]).name for e in two["errors"]] == ["cut.jpg"]
    assert_clean_error(fauxlab("detect", *inputs, "--jobs", "-1"), "--jobs")
    report = tmp_path / "pooled.html"
    made = fauxlab(*args[:-1], "--jobs", "2", "--report", report)  # workers draw the figures
    assert made.returncode == 1 and report.read_text().count('<svg xmlns="http') >= 3


def test_html_report_is_one_self_contained_file(tmp_path: Path, media_dir: Path) -> None:
    report = tmp_path / "report.html"
    result = fauxlab(
        "detect", media_dir / "generated.png", media_dir / "photo.png",
        "--detectors", "provenance", "--report", report,
    )  # fmt: skip
    assert result.returncode == 1, result.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    page = report.read_text(encoding="utf-8")
    assert "http://" not in page and "https://" not in page and "<script" not in page
    assert re.findall(r'src="([^"]+)"', page) and all(
        src.startswith("data:image/") for src in re.findall(r'src="([^"]+)"', page)
    )
    assert page.count("data:image/jpeg;base64,") == 2  # a thumbnail per file
    assert ">Fake<" in page and "How to read this" in page and "Limits" in page
    # existing report: refused, untouched; --force replaces it
    before = report.read_bytes()
    again = fauxlab(
        "detect", media_dir / "photo.png", "--detectors", "provenance", "--report", report
    )
    assert_clean_error(again, "already exists")
    assert report.read_bytes() == before
    forced = fauxlab(
        "detect",
        media_dir / "photo.png",
        "--detectors",
        "provenance",
        "--report",
        report,
        "--force",
    )
    assert forced.returncode == 0 and report.read_bytes() != before


def test_bad_inputs_give_one_line_and_exit_2(tmp_path: Path, media_dir: Path) -> None:
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    unknown = tmp_path / "notes.txt"
    unknown.write_text("hello")
    (tmp_path / "nothing").mkdir()
    photo = media_dir / "photo.png"
    cases: list[tuple[list[str | Path], str]] = [
        ([empty], "empty"),
        ([unknown], "not an image, video or audio file"),
        ([tmp_path / "missing.png"], "no such file"),
        ([tmp_path / "nothing"], "no image or video found"),
        ([empty, unknown], "1 more unreadable"),
        ([photo, "--threshold", "1.5"], "threshold"),
        ([photo, "--detectors", "nonsense"], "unknown detector"),
        ([photo, "--frames", "0"], "--frames"),
    ]
    for args, needle in cases:
        assert_clean_error(fauxlab("detect", *args), needle)
    assert empty.read_bytes() == b"" and unknown.read_text() == "hello"


# ---- the run loop in-process, with test-only detectors ----------------------------------


@dataclass
class FaceScorer:
    """Scores each face by time (rising through the clip) and draws an edge heatmap."""

    name: str = "scripted"

    def examine(self, media: AnalysedMedia) -> Evidence:
        end = media.video.duration if media.video else 1.0
        scores = [
            FaceScore(
                frame.index, frame.time, face.track_id, face.box, 0.1 + 0.8 * frame.time / end
            )
            for frame, _ in media.keyframes()
            for face in frame.faces
        ]
        if not scores:
            return Evidence(self.name, None, "No face to score.")
        _, image = media.keyframes()[0]
        grey = image.mean(axis=2)
        edges = np.abs(np.diff(grey, axis=1, prepend=grey[:, :1]))
        heat = np.stack([np.clip(edges * 4, 0, 255)] * 3, axis=2).astype(np.uint8)
        figure = Figure("heatmap", "where the scorer looked", heat)
        worst = max(s.probability for s in scores)
        return Evidence(self.name, worst, "Scored every face.", faces=scores, figures=[figure])


@dataclass
class WholeImage:
    probability: float
    name: str = "whole"

    def examine(self, media: AnalysedMedia) -> Evidence:
        return Evidence(self.name, self.probability, f"Whole image scored {self.probability}.")


class Broken:
    name = "broken"

    def examine(self, media: AnalysedMedia) -> Evidence:
        raise CorruptMediaError(f"{media.path}: cannot judge this on purpose")


@pytest.mark.slow
def test_video_timeline_heatmap_and_report(tmp_path: Path, video_with_audio: Path) -> None:
    options = DetectOptions(analysis=AnalysisOptions(keyframes=6))
    report = detect_file(video_with_audio, [ProvenanceDetector(), FaceScorer()], options)
    assert report.kind == "video" and report.keyframes == 6 and report.face_count > 0
    assert len(report.timeline) >= 6 and {p.detector for p in report.timeline} == {"scripted"}
    times = [p.time for p in report.timeline]
    assert times == sorted(times) and report.timeline[-1].probability > 0.65
    assert all(f.probability is not None for f in report.faces)  # each box got its score
    assert report.verdict is Verdict.FAKE and report.decided_by == "scripted"
    assert report.thumbnail is not None and report.thumbnail[:2] == b"\xff\xd8"
    run = detect_inputs([video_with_audio], [FaceScorer()], options)
    assert validate(to_document(run)) == []
    page = render(run)
    assert page.count("data:image/png;base64,") == 1  # the heatmap
    assert page.count('<svg xmlns="http') == 1  # the timeline, inline
    assert "Over time" in page and "where the scorer looked" in page
    assert page.count('class="moments"') == 1 and report.moments  # the faces scored most fake
    assert max(m.probability for m in report.moments) > 0.65


def test_whole_image_detector_decides_when_there_is_no_face(tmp_path: Path) -> None:
    coffee = tmp_path / "coffee.png"
    write_image(coffee, skdata.coffee())
    unsure = detect_file(coffee, [FaceScorer(), WholeImage(0.3)])
    assert unsure.face_count == 0 and unsure.verdict is Verdict.NO_FACE
    sure = detect_file(coffee, [FaceScorer(), WholeImage(0.9)])
    assert sure.verdict is Verdict.FAKE and "No face was found" in sure.explanation
    assert sure.faces == [] and sure.thumbnail is not None


def test_a_failing_detector_becomes_evidence_that_cannot_judge(tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    write_image(photo, astronaut())
    report = detect_file(photo, [Broken(), WholeImage(0.1)])
    broken = report.evidence[0]
    assert broken.probability is None and "on purpose" in broken.summary
    assert report.verdict is Verdict.REAL and report.decided_by == "whole"
    run = detect_inputs([photo], [Broken()])
    document = to_document(run)
    assert validate(document) == [] and document["files"][0]["verdict"] == "uncertain"


def test_each_evidence_says_how_far_it_moved_the_verdict(tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    write_image(photo, astronaut())
    # names the fitted fusion does not know: the weighted maximum decides, 0.8 over 0.3
    detectors: list[Detector] = [Broken(), WholeImage(0.8), WholeImage(0.3, name="second")]
    run = detect_inputs([photo], detectors)
    assert run.files[0].contributions == {"broken": None, "whole": 0.5, "second": 0.0}
    document = to_document(run)
    assert validate(document) == []
    moved = {e["detector"]: e["contribution"] for e in document["files"][0]["evidence"]}
    assert moved == {"broken": None, "whole": 0.5, "second": 0.0}
    page = render(run)
    assert "Moved the verdict by +0.50." in page and "Did not move the verdict." in page
    assert "not applicable (it could not judge this file)" in page


def test_report_text_is_escaped(tmp_path: Path) -> None:
    photo = tmp_path / "<b>photo</b>.png"
    write_image(photo, astronaut())

    class Loud:
        name = "<script>alert(1)</script>"

        def examine(self, media: AnalysedMedia) -> Evidence:
            return Evidence(self.name, 0.2, 'says "<img src=x onerror=alert(1)>"')

    page = render(detect_inputs([photo], [Loud()]))
    assert "<script" not in page and "<img src=x" not in page and "<b>photo" not in page
    assert "&lt;script&gt;" in page and "&lt;b&gt;photo&lt;/b&gt;.png" in page


def test_schema_checker_catches_broken_documents(tmp_path: Path) -> None:
    photo = tmp_path / "photo.png"
    write_image(photo, astronaut())
    document = to_document(detect_inputs([photo], [WholeImage(0.2)]))
    assert validate(document) == []
    broken = json.loads(json.dumps(document))
    broken["schema"] = "fauxlab.detect/0"
    del broken["files"][0]["verdict"]
    broken["files"][0]["probability"] = 1.7
    broken["files"][0]["sha256"] = "xyz"
    problems = "\n".join(validate(broken))
    assert "$.schema" in problems and "missing 'verdict'" in problems
    assert "above 1" in problems and "sha256" in problems
