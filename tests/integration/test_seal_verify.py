"""seal -> verify on real media: the three marks, copies that lost some, tampering, atomicity."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from cli_helpers import fauxlab_at_home
from fauxlab.demo.provenance_part import edit_signed_jpeg
from fauxlab.demo.samples import astronaut
from fauxlab.errors import OutputExistsError
from fauxlab.fileio import sha256_file
from fauxlab.media import probe_video, read_audio, read_image, write_image
from fauxlab.media.audio_writer import write_audio
from fauxlab.provenance.context import Provenance
from fauxlab.provenance.ledger import Ledger
from fauxlab.provenance.seal import ModelInfo, seal_file, seal_image
from fauxlab.provenance.verify import verify_file

MODEL = ModelInfo("test-generator", "ab" * 32)


@pytest.fixture()
def provenance(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Provenance:
    home = tmp_path / "home"
    monkeypatch.setenv("FAUXLAB_HOME", str(home))
    monkeypatch.delenv("FAUXLAB_LEDGER", raising=False)
    return Provenance.default()


def _ledger_size(provenance: Provenance) -> int:
    if not provenance.ledger_path.exists():
        return 0
    with Ledger.open(provenance.ledger_path) as ledger:
        return ledger.size


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp"])
def test_sealed_image_carries_all_three_marks(
    tmp_path: Path, provenance: Provenance, suffix: str
) -> None:
    out = tmp_path / f"fake{suffix}"
    sealed = seal_image(astronaut(), out, MODEL, provenance=provenance)
    assert sealed.sha256 == sha256_file(out)
    report = verify_file(out, provenance)
    assert report.sealed_by_fauxlab and not report.tampered
    assert report.watermark is not None and report.watermark.payload == sealed.watermark_id
    creds = report.credentials
    assert creds is not None and creds.valid and creds.signed_by_us and creds.ai_generated
    assert creds.claim is not None and creds.claim.model_name == "test-generator"
    assert report.ledger.status == "exact" and report.ledger.proof_verified
    assert report.ledger.entry is not None and report.ledger.entry.index == sealed.entry_index


def test_reencoded_copy_is_found_by_its_watermark(tmp_path: Path, provenance: Provenance) -> None:
    sealed = seal_image(astronaut(), tmp_path / "fake.png", MODEL, provenance=provenance)
    copy = tmp_path / "shared-copy.jpg"
    small = Image.fromarray(read_image(sealed.path)).resize((256, 256), Image.Resampling.BILINEAR)
    small.save(copy, quality=75)  # what a platform does on upload: resize, recompress, strip
    report = verify_file(copy, provenance)
    assert report.credentials is not None and not report.credentials.present
    assert report.watermark is not None and report.watermark.payload == sealed.watermark_id
    assert report.ledger.status == "watermark" and report.ledger.proof_verified
    assert report.sealed_by_fauxlab


def test_lookalike_without_marks_is_a_near_match(tmp_path: Path, provenance: Provenance) -> None:
    seal_image(astronaut(), tmp_path / "fake.png", MODEL, provenance=provenance)
    original = tmp_path / "original.png"  # the same picture, never marked
    write_image(original, astronaut())
    report = verify_file(original, provenance)
    assert report.watermark is not None and not report.watermark.found
    assert report.ledger.status == "near" and report.ledger.distance is not None
    assert report.ledger.distance <= 31 and not report.sealed_by_fauxlab


def test_tampered_file_reads_as_tampered(tmp_path: Path, provenance: Provenance) -> None:
    sealed = seal_image(astronaut(), tmp_path / "fake.jpg", MODEL, provenance=provenance)
    forged = tmp_path / "forged.jpg"
    forged.write_bytes(edit_signed_jpeg(sealed.path.read_bytes()))
    report = verify_file(forged, provenance)
    assert report.credentials is not None and report.credentials.present
    assert not report.credentials.valid and report.tampered


def test_unrelated_real_image_has_no_marks(tmp_path: Path, provenance: Provenance) -> None:
    seal_image(astronaut(), tmp_path / "fake.png", MODEL, provenance=provenance)
    other = tmp_path / "noise.png"
    rng = np.random.default_rng(1)
    write_image(other, rng.integers(0, 255, (300, 300, 3), dtype=np.uint8))
    report = verify_file(other, provenance)
    assert not report.sealed_by_fauxlab and report.ledger.status == "none"


def test_existing_output_is_refused_and_nothing_recorded(
    tmp_path: Path, provenance: Provenance
) -> None:
    out = tmp_path / "mine.png"
    out.write_bytes(b"user's file")
    with pytest.raises(OutputExistsError):
        seal_image(astronaut(), out, MODEL, provenance=provenance)
    assert out.read_bytes() == b"user's file" and _ledger_size(provenance) == 0


def test_failed_append_leaves_no_output_and_no_entry(
    tmp_path: Path, provenance: Provenance, monkeypatch: pytest.MonkeyPatch
) -> None:
    seal_image(astronaut(), tmp_path / "first.png", MODEL, provenance=provenance)

    def refuse(self: Ledger, data: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")  # injected: the disk fails mid-append

    monkeypatch.setattr(Ledger, "append", refuse)
    with pytest.raises(sqlite3.OperationalError):
        seal_image(astronaut(), tmp_path / "second.png", MODEL, provenance=provenance)
    monkeypatch.undo()
    assert not (tmp_path / "second.png").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".fauxlab-seal")]
    assert _ledger_size(provenance) == 1


def test_sealed_video_keeps_audio_and_survives_reencoding(
    tmp_path: Path, provenance: Provenance, video_with_audio: Path
) -> None:
    before = sha256_file(video_with_audio)
    sealed = seal_file(video_with_audio, tmp_path / "fake.mp4", MODEL, provenance=provenance)
    assert sha256_file(video_with_audio) == before, "the input must never change"
    source, out = probe_video(video_with_audio), probe_video(sealed.path)
    assert out.audio_codec == source.audio_codec and out.sample_rate == source.sample_rate
    assert abs(out.duration - source.duration) < 0.1
    report = verify_file(sealed.path, provenance)
    assert report.sealed_by_fauxlab and report.ledger.status == "exact"
    assert report.credentials is not None and report.credentials.signed_by_us
    creds_claim = report.credentials.claim
    assert creds_claim is not None and creds_claim.ingredients[0].sha256 == before
    sound_mark = report.sound_watermark  # the sound carries the same id as the pictures
    assert sound_mark is not None and sound_mark.payload == sealed.watermark_id
    unsealed_sound = verify_file(video_with_audio, provenance).sound_watermark
    assert unsealed_sound is not None and not unsealed_sound.found

    heard = read_audio(sealed.path)  # the sound track alone, cut out and re-encoded
    assert heard is not None
    track = tmp_path / "track.mp3"
    write_audio(track, heard.samples, heard.sample_rate, 64_000)
    from_track = verify_file(track, provenance)
    assert from_track.watermark is not None and from_track.watermark.payload == sealed.watermark_id
    assert from_track.ledger.status == "watermark" and from_track.ledger.entry is not None
    assert from_track.ledger.entry.index == sealed.entry_index

    import av

    copy = tmp_path / "reencoded.mp4"
    with av.open(str(sealed.path)) as src, av.open(str(copy), "w") as dst:
        stream = dst.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = out.width, out.height, "yuv420p"
        stream.options = {"crf": "28"}
        for frame in src.decode(video=0):
            frame.pts = None
            for packet in stream.encode(frame):
                dst.mux(packet)
        for packet in stream.encode(None):
            dst.mux(packet)
    copied = verify_file(copy, provenance)
    assert copied.watermark is not None and copied.watermark.payload == sealed.watermark_id
    assert copied.ledger.status == "watermark" and copied.ledger.proof_verified


def fauxlab(home: Path, *args: str | Path) -> subprocess.CompletedProcess[str]:
    return fauxlab_at_home(home, *args)


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, (result.returncode, result.stderr)
    return json.loads(result.stdout)


def _one_line_error(result: subprocess.CompletedProcess[str], needle: str) -> None:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], lines


def test_cli_seal_verify_and_ledger_audit(tmp_path: Path) -> None:
    home = tmp_path / "home"
    picture = tmp_path / "made-elsewhere.jpg"
    Image.fromarray(astronaut()).save(picture, quality=92)
    sealed = fauxlab(home, "seal", picture, "--generator", "sdxl", "--json")
    assert sealed.returncode == 0, sealed.stderr
    result = json.loads(sealed.stdout)
    assert Path(result["path"]) == tmp_path / "made-elsewhere.sealed.jpg"

    verified = fauxlab(home, "verify", result["path"], picture, "--json")
    assert verified.returncode == 0, verified.stderr
    ours, theirs = json.loads(verified.stdout)
    assert ours["sealed_by_fauxlab"] and ours["watermark"]["payload"] == result["watermark_id"]
    assert ours["credentials"]["claim"]["generator"] == "sdxl"
    assert theirs["ledger"]["status"] == "near" and not theirs["sealed_by_fauxlab"]

    signed_head = _json(fauxlab(home, "ledger", "head", "--json"))
    assert signed_head["tree_size"] == 1
    assert _json(fauxlab(home, "ledger", "prove", "0"))["verified"] is True
    assert _json(fauxlab(home, "ledger", "show", "0"))["sha256"] == result["sha256"]
    assert fauxlab(home, "ledger", "check").returncode == 0

    export = tmp_path / "ledger.jsonl"
    assert fauxlab(home, "ledger", "export", export).returncode == 0
    assert fauxlab(home, "ledger", "verify-export", export).returncode == 0
    key = signed_head["public_key"]
    other = fauxlab(tmp_path / "other-home", "ledger", "import", export, "--public-key", key)
    assert other.returncode == 0, other.stderr

    with sqlite3.connect(home / "ledger.sqlite") as conn:  # someone edits the record
        conn.execute("UPDATE entries SET entry_json = replace(entry_json, 'sdxl', 'sdxL')")
    broken = fauxlab(home, "ledger", "check", "--json")
    assert broken.returncode == 1
    assert json.loads(broken.stdout)["first_bad_index"] == 0


def test_cli_provenance_bad_inputs(tmp_path: Path) -> None:
    home = tmp_path / "home"
    _one_line_error(fauxlab(home, "ledger", "head"), "no ledger yet")
    _one_line_error(fauxlab(home, "verify", tmp_path / "missing.png"), "no such file")
    home.mkdir()
    (home / "ledger.sqlite").write_bytes(io.BytesIO(b"not a database" * 100).getvalue())
    _one_line_error(fauxlab(home, "ledger", "check"), "ledger.sqlite")
    picture = tmp_path / "p.png"
    Image.fromarray(astronaut()).save(picture)
    existing = tmp_path / "taken.png"
    existing.write_bytes(b"keep")
    _one_line_error(
        fauxlab(home, "seal", picture, "--generator", "x", "--out", existing), "already exists"
    )
    assert existing.read_bytes() == b"keep"


def test_verifier_without_our_keys_checks_the_stored_head(
    tmp_path: Path, provenance: Provenance
) -> None:
    sealed = seal_image(astronaut(), tmp_path / "fake.png", MODEL, provenance=provenance)
    with provenance.open_ledger() as ledger:
        ledger.head()  # the owner publishes a signed head
    stranger = Provenance(provenance.ledger_path, tmp_path / "no-identity-here")
    report = verify_file(sealed.path, stranger)
    assert report.credentials is not None and report.credentials.valid
    assert not report.credentials.signed_by_us  # a stranger cannot vouch for our CA
    assert report.ledger.status == "exact" and report.ledger.proof_verified
    assert not (tmp_path / "no-identity-here").exists(), "verifying must not create keys"
