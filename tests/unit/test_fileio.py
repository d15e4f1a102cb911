"""The one durable write: whole or not at all, private when asked, never clobbering when asked."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from fauxlab.fileio import durable_output, write_durably


def test_replaces_whole_and_leaves_no_partial(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.json"
    assert write_durably(path, b"one")
    assert write_durably(path, b"two")
    assert path.read_bytes() == b"two"
    assert [p.name for p in path.parent.iterdir()] == ["config.json"]


def test_private_and_keep_existing(tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    assert write_durably(key, b"first", private=True, keep_existing=True, sync_folder=True)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert not write_durably(key, b"second", private=True, keep_existing=True)
    assert key.read_bytes() == b"first" and len(list(tmp_path.iterdir())) == 1


def test_durable_output_publishes_only_on_success(tmp_path: Path) -> None:
    path = tmp_path / "weights.bin"
    with durable_output(path) as partial:
        partial.write_bytes(b"ok")
    assert path.read_bytes() == b"ok"
    with pytest.raises(RuntimeError), durable_output(path) as partial:
        partial.write_bytes(b"half")
        raise RuntimeError("writer failed")
    assert path.read_bytes() == b"ok" and len(list(tmp_path.iterdir())) == 1
