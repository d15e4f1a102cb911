"""The scan's results folder and input discovery, on real files (no Ray needed)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fauxlab.errors import InputError, OutputExistsError
from fauxlab.scan import ResultSink, file_key, find_inputs


def _record(key: str, path: str, verdict: str = "real") -> dict[str, object]:
    return {"key": key, "path": path, "status": "ok", "verdict": verdict, "run": {"node": "n"}}


def test_a_key_is_kept_once_across_runs_and_compaction_keeps_the_newest(tmp_path: Path) -> None:
    out = tmp_path / "r"
    sink = ResultSink.open(out)
    assert sink.add(_record("a1", "/a.jpg", "fake"))
    assert not sink.add(_record("a1", "/a.jpg", "fake"))  # a retried task's second copy
    assert sink.add(_record("b1", "/b.jpg"))
    sink.flush()
    again = ResultSink.open(out)  # a second run reads what is done
    assert again.done == {"a1", "b1"}
    assert not again.add(_record("b1", "/b.jpg"))
    assert again.add(_record("a2", "/a.jpg", "real"))  # /a.jpg changed since: a new key
    again.flush()
    jsonl, parquet, count = again.compact()
    records = [json.loads(line) for line in jsonl.read_text().splitlines()]
    assert count == 2 and sorted(r["key"] for r in records) == ["a2", "b1"]
    table = pytest.importorskip("pyarrow.parquet").read_table(parquet)
    assert sorted(table.column("key").to_pylist()) == ["a2", "b1"]
    assert json.loads(table.column("record").to_pylist()[0])["path"] in {"/a.jpg", "/b.jpg"}


def test_a_folder_that_is_not_a_scan_is_refused(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(OutputExistsError, match="not a scan's results folder"):
        ResultSink.open(tmp_path)
    with pytest.raises(OutputExistsError, match="is a file"):
        ResultSink.open(tmp_path / "mine.txt")
    assert (tmp_path / "mine.txt").read_text() == "keep me"


def test_list_files_globs_and_folders(tmp_path: Path) -> None:
    media = tmp_path / "media"
    (media / "sub").mkdir(parents=True)
    pixels = np.zeros((32, 32, 3), np.uint8)
    for name in ("a.jpg", "sub/b.png"):
        Image.fromarray(pixels).save(media / name)
    listing = tmp_path / "files.txt"
    listing.write_text("# relative to the list\nmedia/a.jpg\n\nmedia/missing.jpg\n")
    files, errors = find_inputs([str(listing)])
    assert files == [(media / "a.jpg").resolve()]
    assert [e.path.name for e in errors] == ["missing.jpg"]
    files, _ = find_inputs([str(media / "**" / "*.png")])
    assert files == [(media / "sub" / "b.png").resolve()]
    files, _ = find_inputs([str(media)])
    assert len(files) == 2
    with pytest.raises(InputError, match="no file matches"):
        find_inputs([str(media / "*.webp")])


def test_a_file_gets_a_new_key_when_it_changes(tmp_path: Path) -> None:
    path = tmp_path / "a.jpg"
    path.write_bytes(b"one")
    first = file_key(path)
    assert file_key(path) == first
    os.utime(path, ns=(1, 1))
    assert file_key(path) != first
