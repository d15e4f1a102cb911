"""`fauxlab seal`, `fauxlab verify` and `fauxlab ledger`: mark, check and audit media."""

from __future__ import annotations

from pathlib import Path

import typer

from fauxlab.cli.output import print_json, progress_bar, stdout
from fauxlab.config import private_dir
from fauxlab.errors import InputError
from fauxlab.fileio import sha256_file
from fauxlab.media import MediaKind, expand_inputs, media_kind
from fauxlab.provenance.context import Provenance
from fauxlab.provenance.keys import (
    SIDECARS,
    parse_public_key,
    pin_ledger_key,
    trusted_ledger_keys,
)
from fauxlab.provenance.ledger import Ledger, VerifyResult, verify_export
from fauxlab.provenance.ledger.storage import is_url, ledger_exists
from fauxlab.provenance.seal import AUDIO_SUFFIXES, IMAGE_SUFFIXES, ModelInfo, seal_file
from fauxlab.provenance.verify import VerifyReport, verify_file

LEDGER_HELP = (
    "Ledger file, or a postgresql:// URL (default: FAUXLAB_LEDGER, else "
    "~/.config/fauxlab/ledger.sqlite)."
)
ledger_app = typer.Typer(help="Audit the transparency ledger.", no_args_is_help=True)


def seal(
    path: Path = typer.Argument(..., help="An image, video or sound made by some generator."),
    generator: str = typer.Option(..., help="The software that made it, e.g. 'sdxl'."),
    model: str = typer.Option("", help="Model name (default: the generator's name)."),
    weights: Path | None = typer.Option(None, help="The model's weights file, to record its hash."),
    source: list[Path] = typer.Option([], help="Media it was made from (repeatable)."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Sealed copy (default NAME.sealed.EXT)."
    ),
    ledger: str | None = typer.Option(None, help=LEDGER_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Watermark, sign (C2PA) and record a copy of media made elsewhere."""
    target = out or _sealed_path(path)
    info = ModelInfo(
        name=model or generator,
        weights_sha256=sha256_file(weights) if weights else None,
        software=generator,
        software_version="unknown",
    )
    sealed = seal_file(path, target, info, source, provenance=Provenance.default(ledger))
    if as_json:
        print_json(sealed.to_dict())
    else:
        stdout.print(
            f"sealed {sealed.path}: watermark id {sealed.watermark_id}, "
            f"ledger entry {sealed.entry_index}, sha256 {sealed.sha256[:16]}…",
            highlight=False,
        )


def _sealed_path(path: Path) -> Path:
    """NAME.sealed.EXT beside the input: images and sounds keep a format C2PA can carry
    (else PNG, WAV), video is mp4."""
    kind = media_kind(path)
    if kind is MediaKind.VIDEO:
        suffix = ".mp4"
    elif kind is MediaKind.AUDIO:
        suffix = path.suffix.lower() if path.suffix.lower() in AUDIO_SUFFIXES else ".wav"
    else:
        suffix = path.suffix.lower() if path.suffix.lower() in IMAGE_SUFFIXES else ".png"
    return path.with_name(f"{path.stem}.sealed{suffix}")


def _and(items: tuple[str, ...]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _render(report: VerifyReport) -> None:
    mark, creds, found = report.watermark, report.credentials, report.ledger
    verdict = "[bold green]sealed by fauxlab[/]" if report.sealed_by_fauxlab else "no fauxlab seal"
    stdout.print(f"[bold]{report.path}[/] ({report.kind}): {verdict}", highlight=False)
    for label, reading in (("watermark", mark), ("sound mark", report.sound_watermark)):
        if reading is None:
            continue
        state = f"found, id {reading.payload}" if reading.found else "not found"
        undone = f", after undoing {_and(reading.undone)}" if reading.undone else ""
        stdout.print(
            f"  {label:<12} {state} (score {reading.score:.1f}, "
            f"threshold {reading.threshold:.1f}){undone}",
            highlight=False,
        )
    if creds is not None:
        if not creds.present:
            state = "none"
        else:
            who = "our CA" if creds.signed_by_us else f"{creds.issuer or 'an unknown signer'}"
            ai = ", says AI-generated" if creds.ai_generated else ""
            state = f"{'valid' if creds.valid else 'INVALID'}, signed by {who}{ai}"
        stdout.print(f"  C2PA         {state}", highlight=False)
    ledger_text = {
        "exact": "exact match (same bytes)",
        "watermark": "matched by watermark id",
        "near": f"near match, {'fingerprint' if report.kind == 'audio' else 'PDQ'} "
        f"distance {found.distance}" + (f" ({found.variant})" if found.variant else ""),
        "none": "not recorded",
        "no-ledger": "no ledger here",
    }[found.status]
    if found.entry is not None:
        proof = "verified" if found.proof_verified else "FAILED"
        ledger_text += f": entry {found.entry.index}, inclusion proof {proof}"
    stdout.print(f"  ledger       {ledger_text}", highlight=False)
    for problem in report.problems:
        stdout.print(f"  note         {problem}", highlight=False)


def verify(
    inputs: list[Path] = typer.Argument(..., help="Images, videos, sounds or folders."),
    ledger: str | None = typer.Option(None, help=LEDGER_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the reports as JSON."),
) -> None:
    """Report each file's watermark, content credentials and ledger record.

    Exits 1 if any file carries a broken (tampered) C2PA manifest or fails its proof.
    """
    provenance = Provenance.default(ledger)
    files = expand_inputs(inputs, audio=True)
    if not files:
        raise InputError("no image, video or sound found in the given inputs")
    reports = []
    with progress_bar() as bar:
        task = bar.add_task("verifying", total=len(files))
        for path in files:
            reports.append(verify_file(path, provenance))
            bar.advance(task)
    if as_json:
        print_json([r.to_dict() for r in reports])
    else:
        for report in reports:
            _render(report)
    if any(r.tampered for r in reports):
        raise typer.Exit(1)


def _open(ledger: str | None) -> Ledger:
    """The ledger, for commands that may sign a head (the owner's key is made if need be)."""
    provenance = Provenance.default(ledger)
    if not ledger_exists(provenance.ledger_path):
        raise InputError(f"{provenance.ledger_path}: no ledger yet; seal something first")
    return provenance.open_ledger()


def _read(ledger: str | None) -> Ledger:
    """The ledger, for commands that only read it: no key is loaded or created."""
    provenance = Provenance.default(ledger)
    if not ledger_exists(provenance.ledger_path):
        raise InputError(f"{provenance.ledger_path}: no ledger yet; seal something first")
    return Ledger.open(provenance.ledger_path)


@ledger_app.command("head")
def head(
    ledger: str | None = typer.Option(None, help=LEDGER_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    adopt: bool = typer.Option(
        False, "--adopt", help="Sign with your key although the latest head is another key's."
    ),
) -> None:
    """The signed tree head: size, root hash, time, signature (signs a new one when the
    ledger has grown; never over another key's head without --adopt)."""
    with _open(ledger) as store:
        signed = store.head(adopt=adopt)
    data = signed.to_dict()
    if as_json:
        print_json(data)
    else:
        for key, value in data.items():
            stdout.print(f"{key:>12}  {value}", highlight=False)


@ledger_app.command("show")
def show(
    index: int = typer.Argument(..., help="Entry index."),
    ledger: str | None = typer.Option(None, help=LEDGER_HELP),
) -> None:
    """One entry, as recorded (JSON)."""
    with _read(ledger) as store:
        print_json(store.get(index).to_dict())


@ledger_app.command("prove")
def prove(
    index: int = typer.Argument(..., help="Entry index."),
    ledger: str | None = typer.Option(None, help=LEDGER_HELP),
) -> None:
    """An inclusion proof for one entry against the current signed head (JSON)."""
    from fauxlab.provenance.ledger import verify_inclusion_proof

    with _open(ledger) as store:
        signed = store.head()
        proof = store.prove(index)
        ok = verify_inclusion_proof(proof, signed, store.public_key)
    print_json({"head": signed.to_dict(), "proof": proof.to_dict(), "verified": ok})
    if not ok:
        raise typer.Exit(1)


@ledger_app.command("check")
def check(
    ledger: str | None = typer.Option(None, help=LEDGER_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Recompute every hash and signature; exits 1 and names the first altered entry.

    Heads must be signed by your own ledger key or a pinned one (`ledger import
    --public-key` pins the key it imports under); with neither, by the key each carries."""
    trusted = trusted_ledger_keys()
    with _read(ledger) as store:
        report = store.check(trusted or None)
    if not trusted and not as_json:
        stdout.print(
            "note: no key of yours or pinned: each head is checked against the key it "
            "carries, which shows the ledger is intact, not who signed it",
            highlight=False,
        )
    if as_json:
        print_json(
            {
                "ok": report.ok,
                "tree_size": report.tree_size,
                "first_bad_index": report.first_bad_index,
                "summary": report.summary(),
            }
        )
    else:
        stdout.print(report.summary(), highlight=False)
    if not report.ok:
        raise typer.Exit(1)


@ledger_app.command("export")
def export(
    path: Path = typer.Argument(..., help="JSONL file to write."),
    ledger: str | None = typer.Option(None, help=LEDGER_HELP),
) -> None:
    """Every entry plus a signed head, as JSONL a third party can verify."""
    with _open(ledger) as store:
        signed = store.export(path)
    stdout.print(f"exported {signed.tree_size} entries to {path}, root {signed.root}")


PUBLIC_KEY_HELP = (
    "The ledger's Ed25519 public key, obtained from its operator: 64 hex characters, or "
    "a file holding them or a PEM public key."
)
TRUST_ANY_HELP = (
    "Import although no key is given or pinned: the export is checked only against the "
    "key inside it, which shows it is intact, not who made it."
)


@ledger_app.command("import")
def import_(
    path: Path = typer.Argument(..., help="JSONL export to load."),
    ledger: str | None = typer.Option(None, help=LEDGER_HELP),
    public_key: str | None = typer.Option(None, "--public-key", help=PUBLIC_KEY_HELP),
    trust_any_key: bool = typer.Option(False, "--trust-any-key", help=TRUST_ANY_HELP),
) -> None:
    """Verify an export against a key you trust, then load it into an empty ledger.

    The key is `--public-key`, else one pinned before (see `ledger check`); it is pinned
    for later checks. Nothing is created until the whole export has verified."""
    provenance = Provenance.default(ledger)
    key = parse_public_key(public_key) if public_key is not None else None
    pinned = trusted_ledger_keys()
    if key is None and not pinned and not trust_any_key:
        raise InputError(
            f"{path}: not imported: no key to check it against; pass --public-key with the "
            "key its operator gave you, or --trust-any-key to accept whichever key signed it"
        )
    result = verify_export(path, key)  # streams the file: nothing is created before this
    if not result.ok or result.head is None:
        raise InputError(f"not imported: {result.reason}")
    signer = bytes.fromhex(result.head.public_key)
    if key is None and not trust_any_key and signer not in pinned:
        raise InputError(
            f"{path}: not imported: its head is signed by key id {result.head.key_id[:16]}, "
            "which is not yours nor pinned; pass --public-key if its operator gave you this key"
        )
    target = provenance.ledger_path
    if is_url(target):
        with Ledger.open(target) as store:  # an empty database is refused by import_
            imported = store.import_(path, key)
    else:
        imported = _import_to_file(Path(target), path, key)
    if key is not None:
        pin_ledger_key(key)
    how = "its key pinned" if key is not None or signer in pinned else "key NOT pinned"
    stdout.print(
        f"imported {imported.tree_size} entries signed by key id {result.head.key_id[:16]} ({how})",
        highlight=False,
    )


def _import_to_file(target: Path, path: Path, key: bytes | None) -> VerifyResult:
    """Import into a ledger file, leaving no empty ledger behind if it fails."""
    if target.exists() and not target.is_file():
        raise InputError(f"{target}: is not a file; --ledger names the ledger file")
    created = not target.exists()
    private_dir(target.parent)
    try:
        with Ledger.open(target) as store:  # no key: the export's own head is stored
            return store.import_(path, key)
    except BaseException:
        if created:  # leave no empty ledger behind
            for leftover in (target, *(target.with_name(target.name + s) for s in SIDECARS)):
                leftover.unlink(missing_ok=True)
        raise


@ledger_app.command("verify-export")
def verify_export_command(
    path: Path = typer.Argument(..., help="JSONL export."),
    public_key: str | None = typer.Option(None, "--public-key", help=PUBLIC_KEY_HELP),
) -> None:
    """Check an export on its own: rebuild the tree, check the root and the signature
    against `--public-key` (else a pinned key, else only the key inside the file)."""
    key = parse_public_key(public_key) if public_key is not None else None
    result = verify_export(path, key)
    if not result.ok or result.head is None:
        stdout.print(f"INVALID: {result.reason}", highlight=False)
        raise typer.Exit(1)
    signer = bytes.fromhex(result.head.public_key)
    if key is not None:
        who = "signed by the key you gave"
    elif signer in trusted_ledger_keys():
        who = "signed by a pinned key"
    else:
        who = (
            f"intact, but signed by key id {result.head.key_id[:16]}, which you have not "
            "pinned: pass --public-key to check who made it"
        )
    stdout.print(f"valid: {result.head.tree_size} entries, {who}", highlight=False)
