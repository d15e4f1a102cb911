"""The CLI as a user meets it: real processes, real files, exit codes and messages."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cli_helpers import assert_clean_error, fauxlab
from fauxlab.demo.samples import astronaut

DATA = Path(os.environ.get("FAUXLAB_DATA", Path(__file__).parents[2] / "../shared/data"))
VIDEOS = DATA / "videos"


@pytest.fixture(scope="module")
def portrait_png(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("media") / "astronaut.png"
    Image.fromarray(astronaut()).save(path)
    return path


def test_version() -> None:
    result = fauxlab("--version")
    assert result.returncode == 0 and result.stdout.startswith("fauxlab ")


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["faces"],
        ["faces", "extract"],
        ["faces", "show"],
        ["media"],
        ["media", "info"],
        ["demo"],
    ],
)
def test_help_everywhere(command: list[str]) -> None:
    result = fauxlab(*command, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage" in result.stdout


def test_usage_error_exits_2() -> None:
    result = fauxlab("faces", "extract", "--no-such-option")
    assert result.returncode == 2 and "Traceback" not in result.stderr


def test_bad_inputs_give_one_line_and_exit_2(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    truncated = tmp_path / "cut.jpg"
    Image.fromarray(astronaut()).save(truncated, quality=90)
    truncated.write_bytes(truncated.read_bytes()[:5000])
    text = tmp_path / "notes.txt"
    text.write_text("not media")
    fake_png = tmp_path / "fake.png"
    fake_png.write_text("this is not a png")
    huge = tmp_path / "huge.png"
    Image.new("RGB", (3000, 3000)).save(huge)
    cases = [
        (tmp_path / "missing.jpg", "no such file", []),
        (empty, "empty", []),
        (truncated, "cut.jpg", []),
        (text, "notes.txt", []),
        (fake_png, "fake.png", []),
        (huge, "pixels", ["--max-pixels", "1000000"]),
    ]
    for path, needle, extra in cases:
        assert_clean_error(
            fauxlab("faces", "extract", path, "--out", tmp_path / "o", *extra), needle
        )
        assert_clean_error(fauxlab("media", "info", path, *extra), needle)


def test_show_refuses_to_overwrite(tmp_path: Path, portrait_png: Path) -> None:
    existing = tmp_path / "mine.png"
    existing.write_bytes(b"precious")
    assert_clean_error(fauxlab("faces", "show", portrait_png, "--out", existing), "already exists")
    assert existing.read_bytes() == b"precious"


def test_show_draws_faces_and_reports_json(tmp_path: Path, portrait_png: Path) -> None:
    out = tmp_path / "shown.png"
    result = fauxlab("faces", "show", portrait_png, "--out", out, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert len(report["faces"]) == 1 and len(report["faces"][0]["landmarks"]) == 68
    drawn = np.asarray(Image.open(out))
    assert drawn.shape == astronaut().shape and (drawn != astronaut()).any()


def test_show_no_face_exits_1(tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    Image.new("RGB", (300, 300), (120, 120, 120)).save(blank)
    result = fauxlab("faces", "show", blank, "--out", tmp_path / "shown.png")
    assert result.returncode == 1 and "no face" in result.stderr


def test_extract_folder_then_resume(tmp_path: Path, portrait_png: Path) -> None:
    folder = tmp_path / "in" / "nested"
    folder.mkdir(parents=True)
    (folder / "a.png").write_bytes(portrait_png.read_bytes())
    Image.new("RGB", (300, 300), (10, 200, 10)).save(folder / "green.jpg")
    (folder / "readme.txt").write_text("ignored inside folders")
    out = tmp_path / "faces"
    first = fauxlab("faces", "extract", tmp_path / "in", "--out", out, "--size", "128", "--json")
    assert first.returncode == 0, first.stderr
    summary = json.loads(first.stdout)
    assert summary["faces_written"] == 1 and len(summary["sources_without_face"]) == 1
    again = json.loads(
        fauxlab("faces", "extract", tmp_path / "in", "--out", out, "--size", "128", "--json").stdout
    )
    assert again["faces_written"] == 0 and again["sources_already_done"] == 2
    assert len(list(out.glob("*.png"))) == 1


def test_extract_with_no_face_anywhere_exits_1(tmp_path: Path) -> None:
    blank = tmp_path / "blank.png"
    Image.new("RGB", (300, 300), (120, 120, 120)).save(blank)
    result = fauxlab("faces", "extract", blank, "--out", tmp_path / "faces")
    assert result.returncode == 1
    assert "no face found" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.skipif(not VIDEOS.is_dir(), reason="shared videos missing")
def test_media_info_json_on_a_video() -> None:
    result = fauxlab("media", "info", VIDEOS / "hdtf-1.mp4", "--json")
    assert result.returncode == 0, result.stderr
    info = json.loads(result.stdout)
    assert info["kind"] == "video" and info["width"] == 512 and info["audio_codec"] == "aac"
    assert info["frame_count"] > 100 and 7 < info["duration"] < 9


@pytest.mark.skipif(not VIDEOS.is_dir(), reason="shared videos missing")
def test_show_annotated_video_keeps_audio(tmp_path: Path) -> None:
    out = tmp_path / "annotated.mp4"
    result = fauxlab("faces", "show", VIDEOS / "hdtf-1.mp4", "--out", out)
    assert result.returncode == 0, result.stderr
    info = json.loads(fauxlab("media", "info", out, "--json").stdout)
    assert info["audio_codec"] == "aac" and info["sample_rate"] > 0


def test_outputs_that_are_files_or_folders_give_one_line(
    tmp_path: Path, portrait_png: Path
) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("mine")
    assert_clean_error(fauxlab("faces", "extract", portrait_png, "--out", a_file), "is a file")
    assert_clean_error(fauxlab("demo", "--out", a_file), "is a file")
    assert_clean_error(fauxlab("verify", portrait_png, "--ledger", tmp_path), "is a folder")
    assert a_file.read_text() == "mine"
