"""`ledger import` and `verify-export` check an export against a key the user trusts, and a
head signed by another key is never re-signed silently (issue 23, item 6).

The attack: take a genuine export, alter an entry, rebuild the log and sign it with the
attacker's own key. The file is intact by its own key, so only a pinned key tells it from
the real one."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from fauxlab.provenance.ledger import Ledger, raw_public_key
from fauxlab.provenance.ledger.synthetic import entries


def fauxlab(home: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"FAUXLAB_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "fauxlab", *map(str, args)],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip


def one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), lines
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


@pytest.fixture
def genuine(tmp_path: Path) -> tuple[Path, Ed25519PrivateKey]:
    key = Ed25519PrivateKey.generate()
    with Ledger(tmp_path / "operator.sqlite", signing_key=key) as ledger:
        ledger.append_many(entries(6, seed=3))
        ledger.export(tmp_path / "genuine.jsonl")
    return tmp_path / "genuine.jsonl", key


def forge(out: Path, work: Path) -> Path:
    """The genuine log (same entries) with entry 2 altered, signed by the attacker's key."""
    data = entries(6, seed=3)
    data[2] = replace(data[2], sha256="0" * 64)
    with Ledger(work / "forged.sqlite", signing_key=Ed25519PrivateKey.generate()) as forged:
        forged.append_many(data)
        forged.export(out)
    return out


def test_an_unpinned_or_forged_import_is_refused_and_creates_nothing(
    tmp_path: Path, genuine: tuple[Path, Ed25519PrivateKey]
) -> None:
    export, key = genuine
    forged = forge(tmp_path / "forged.jsonl", tmp_path)
    assert forged.read_bytes() != export.read_bytes()
    public = raw_public_key(key).hex()
    home = tmp_path / "home"
    target = tmp_path / "imported.sqlite"

    # intact by its own key: verify-export says so, but says the key is not pinned
    alone = fauxlab(home, "ledger", "verify-export", forged)
    assert alone.returncode == 0 and "not pinned" in alone.stdout, alone.stdout
    checked = fauxlab(home, "ledger", "verify-export", forged, "--public-key", public)
    assert checked.returncode == 1 and "INVALID" in checked.stdout
    # no key at all: refused, and neither a ledger nor an identity is made
    one_line_error(fauxlab(home, "ledger", "import", forged, "--ledger", target), "--public-key")
    one_line_error(
        fauxlab(home, "ledger", "import", forged, "--ledger", target, "--public-key", public),
        "does not verify",
    )
    assert not target.exists() and not (home / "identity").exists()

    # the genuine export under the operator's key (from a PEM file): imported and pinned
    pem = tmp_path / "operator.pub"
    pem.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    done = fauxlab(home, "ledger", "import", export, "--ledger", target, "--public-key", pem)
    assert done.returncode == 0 and "pinned" in done.stdout, done.stderr
    assert fauxlab(home, "ledger", "check", "--ledger", target).returncode == 0
    assert "signed by a pinned key" in fauxlab(home, "ledger", "verify-export", export).stdout
    assert (home / "trusted-ledger-keys").stat().st_mode & 0o777 == 0o600
    assert target.stat().st_mode & 0o777 == 0o600  # a new ledger is private


def test_a_head_signed_by_another_key_is_not_re_signed(tmp_path: Path) -> None:
    forged = forge(tmp_path / "forged.jsonl", tmp_path)
    home = tmp_path / "home"
    target = tmp_path / "imported.sqlite"
    taken = fauxlab(home, "ledger", "import", forged, "--ledger", target, "--trust-any-key")
    assert taken.returncode == 0 and "NOT pinned" in taken.stdout, taken.stderr
    # this installation has a key of its own (made by `ledger head`'s first use): the
    # imported head is not re-signed with it, and `check` no longer calls the log intact
    one_line_error(fauxlab(home, "ledger", "head", "--ledger", target), "another key", "--adopt")
    with Ledger(target) as ledger:
        assert len(ledger.heads()) == 1
    check = fauxlab(home, "ledger", "check", "--ledger", target)
    assert check.returncode == 1 and "not a trusted key" in check.stdout, check.stdout
    adopted = fauxlab(home, "ledger", "head", "--ledger", target, "--adopt", "--json")
    assert adopted.returncode == 0, adopted.stderr
    with Ledger(target) as ledger:
        assert len(ledger.heads()) == 2


def test_one_enormous_line_is_refused_unread(tmp_path: Path) -> None:
    huge = tmp_path / "huge.jsonl"
    with huge.open("wb") as out:  # 8 MB on one line (the attack used 300 MB)
        out.write(b'{"format": "fauxlab-ledger-export", "pad": "' + b"x" * (8 << 20) + b'"}\n')
    home = tmp_path / "home"
    target = tmp_path / "imported.sqlite"
    result = fauxlab(home, "ledger", "import", huge, "--ledger", target, "--trust-any-key")
    one_line_error(result, "line 1", "longer than")
    assert not target.exists() and not home.exists()
