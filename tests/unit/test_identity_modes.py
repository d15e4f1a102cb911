"""A private key that others can read still loads, but the user is told (issue 23)."""

from __future__ import annotations

from pathlib import Path

import pytest

from fauxlab.provenance import keyfiles
from fauxlab.provenance.signing import SigningIdentity


def test_a_key_readable_by_others_loads_with_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "identity"
    made = SigningIdentity.load_or_create(folder)
    assert capsys.readouterr().err == ""
    assert {p.stat().st_mode & 0o777 for p in folder.glob("*.key")} == {0o600}
    (folder / "signer.key").chmod(0o644)
    keyfiles._warned.clear()
    loaded = SigningIdentity.load_existing(folder)
    assert loaded is not None and loaded.fingerprint == made.fingerprint
    err = capsys.readouterr().err
    assert err.startswith("warning: ") and "signer.key" in err and "0644" in err
    assert "chmod 600" in err and len(err.strip().splitlines()) == 1
    assert SigningIdentity.load_existing(tmp_path / "nothing") is None
    assert not (tmp_path / "nothing").exists()
