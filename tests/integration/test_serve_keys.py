"""API keys on `fauxlab serve`, against the real server: off loopback it refuses to start
without keys; with keys, /api/ needs a known bearer token, each key sees only its own
analyses, and each key has its own rate limit. The keys file never holds a key."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from fauxlab.web.store import SCHEMA, AnalysisStore
from serve_helpers import assert_problem, running_server

RATE = 8  # requests a minute per key


def fauxlab(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "FAUXLAB_API_KEYS"}
    return subprocess.run(
        [sys.executable, "-m", "fauxlab", *args],
        capture_output=True, text=True, env=env, cwd=home, timeout=120,
    )  # fmt: skip


def new_key(keys: Path, name: str) -> str:
    made = fauxlab("serve-keys", "add", name, "--keys", str(keys), home=keys.parent)
    assert made.returncode == 0, made.stderr
    return made.stdout.strip()


@pytest.fixture(scope="module")
def keyring(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    keys = tmp_path_factory.mktemp("keys") / "keys.txt"
    return keys, {name: new_key(keys, name) for name in ("alice", "bob", "carol")}


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, keyring: tuple[Path, dict[str, str]]
) -> Iterator[str]:
    data = tmp_path_factory.mktemp("serve-keys") / "data"
    options = ("--detectors", "spectrum", "--keys", str(keyring[0]), "--rate-limit", str(RATE))
    with running_server(data, *options) as base:
        yield base


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_a_server_off_loopback_without_keys_refuses_to_start(tmp_path: Path) -> None:
    refused = fauxlab("serve", "--host", "0.0.0.0", "--data", str(tmp_path / "d"), home=tmp_path)
    assert refused.returncode == 2
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "--keys" in lines[0] and "Traceback" not in refused.stderr
    assert not (tmp_path / "d").exists()


def test_the_keys_file_holds_hashes_and_names_are_not_reused(
    keyring: tuple[Path, dict[str, str]],
) -> None:
    keys, made = keyring
    text = keys.read_text()
    assert len(text.splitlines()) == 3
    for name, key in made.items():
        assert len(key) >= 40 and key not in text and name in text
    before = keys.read_bytes()
    again = fauxlab("serve-keys", "add", "alice", "--keys", str(keys), home=keys.parent)
    assert again.returncode == 2 and again.stdout == ""
    assert len(again.stderr.strip().splitlines()) == 1 and "alice" in again.stderr
    assert keys.read_bytes() == before


def test_keys_are_required_and_each_sees_only_its_own_analyses(
    server: str, keyring: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    made = keyring[1]
    picture = tmp_path / "grey.png"
    Image.fromarray(np.full((64, 64, 3), 120, np.uint8)).save(picture)
    with httpx.Client(base_url=server, timeout=60) as client:
        assert client.get("/api/health").status_code == 200  # probes need no key
        assert_problem(client.get("/api/ledger/head"), 401, "Bearer")
        wrong = client.get("/api/ledger/head", headers=bearer("not-a-key"))
        assert_problem(wrong, 401, "unknown API key")
        assert wrong.headers["www-authenticate"].startswith("Bearer")
        with picture.open("rb") as handle:
            refused = client.post("/api/analyses", files={"file": ("grey.png", handle)})
        assert_problem(refused, 401)
        with picture.open("rb") as handle:
            created = client.post(
                "/api/analyses", files={"file": ("grey.png", handle)},
                headers=bearer(made["alice"]),
            )  # fmt: skip
        assert created.status_code == 202, created.text
        url = created.json()["url"]
        assert client.get(url, headers=bearer(made["alice"])).status_code == 200
        assert_problem(client.get(url, headers=bearer(made["bob"])), 404)
        assert_problem(client.get(url + "/document.json", headers=bearer(made["bob"])), 404)
        assert_problem(client.get(url), 401)


def test_each_key_has_its_own_rate_limit(server: str, keyring: tuple[Path, dict[str, str]]) -> None:
    made = keyring[1]
    with httpx.Client(base_url=server, timeout=60) as client:
        answers = [
            client.get("/api/ledger/search?sha256=" + "0" * 64, headers=bearer(made["carol"]))
            for _ in range(RATE + 2)
        ]
        codes = [a.status_code for a in answers]
        assert 429 in codes and codes.index(429) <= RATE, codes
        limited = answers[codes.index(429)]
        assert_problem(limited, 429, f"{RATE} requests a minute")
        assert int(limited.headers["retry-after"]) >= 1
        other = client.get("/api/ledger/search?sha256=" + "0" * 64, headers=bearer(made["bob"]))
        assert other.status_code != 429


def test_a_database_from_before_keys_gains_owners_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "analyses.sqlite"
    with sqlite3.connect(path) as old:
        old.executescript(SCHEMA.replace(",\n    owner TEXT", ""))
        old.execute(
            "INSERT INTO analyses (id, filename, kind, size, status, created) "
            "VALUES ('old', 'a.png', 'image', 1, 'done', 1)"
        )
    old.close()
    store = AnalysisStore(path)
    try:
        kept = store.get("old")
        assert kept is not None and kept.owner is None and kept.filename == "a.png"
        store.add("new", "b.png", "image", 1, tmp_path / "b.png", owner="ab" * 32)
        added = store.get("new")
        assert added is not None and added.owner == "ab" * 32
    finally:
        store.close()
