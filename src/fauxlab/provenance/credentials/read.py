"""Read and validate the C2PA manifest of a file, and say whether fauxlab signed it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fauxlab.errors import CorruptMediaError, UnsupportedFormatError
from fauxlab.provenance.credentials._formats import detect_format
from fauxlab.provenance.credentials._native import (
    Failure,
    ManifestStore,
    NativeError,
    read_stream,
)
from fauxlab.provenance.credentials.claim import (
    AI_SOURCE_TYPES,
    Claim,
    assertions_by_label,
    claim_from_manifest,
)
from fauxlab.provenance.signing import SigningIdentity

_VALID_STATES = frozenset({"Valid", "Trusted"})
_UNTRUSTED = "signingCredential.untrusted"  # says who signed, not whether the file is intact
_TRUSTED = "signingCredential.trusted"


@dataclass(frozen=True)
class CredentialReport:
    """What the content credentials of one file say, and whether they hold.

    `valid`: the manifest's signature and the hashes binding it to the content check out
    (c2pa's validation state is Valid or Trusted). `signed_by_us`: valid, and the signing
    certificate chains to the given identity's CA (c2pa verified it with that CA as the
    only trust anchor, and the issuer's subject is that CA's). Never true without an
    identity. `errors`: c2pa's failure codes with their explanations (a signer outside the
    identity's CA is not an error, see `signed_by_us`), plus any problem decoding fauxlab's
    own assertion.
    """

    path: Path
    mime: str
    present: bool
    valid: bool = False
    signed_by_us: bool = False
    validation_state: str | None = None
    signer: str | None = None
    issuer: str | None = None
    signature_algorithm: str | None = None
    claim_generator: str | None = None
    title: str | None = None
    actions: tuple[Mapping[str, Any], ...] = ()
    digital_source_type: str | None = None
    ai_generated: bool = False
    claim: Claim | None = None
    c2pa_ingredients: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()

    @property
    def watermark_id(self) -> int | None:
        return self.claim.watermark_id if self.claim is not None else None

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data."""
        return {
            "path": str(self.path),
            "mime": self.mime,
            "present": self.present,
            "valid": self.valid,
            "signed_by_us": self.signed_by_us,
            "validation_state": self.validation_state,
            "signer": self.signer,
            "issuer": self.issuer,
            "signature_algorithm": self.signature_algorithm,
            "claim_generator": self.claim_generator,
            "title": self.title,
            "actions": [dict(a) for a in self.actions],
            "digital_source_type": self.digital_source_type,
            "ai_generated": self.ai_generated,
            "claim": self.claim.to_dict() if self.claim is not None else None,
            "c2pa_ingredients": list(self.c2pa_ingredients),
            "errors": list(self.errors),
        }


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _statuses(store: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(failures, successes) of the active manifest."""
    active = _dict(_dict(store.get("validation_results")).get("activeManifest"))
    if active:
        return _list(active.get("failure")), _list(active.get("success"))
    return _list(store.get("validation_status")), []  # older stores: failures only


def _actions(manifest: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    assertions = assertions_by_label(manifest)
    found: list[dict[str, Any]] = []
    for label in ("c2pa.actions.v2", "c2pa.actions"):
        found += [
            a for a in _list(_dict(assertions.get(label)).get("actions")) if isinstance(a, dict)
        ]
    return tuple(found)


def _source_type(actions: tuple[dict[str, Any], ...]) -> str | None:
    typed = [a for a in actions if isinstance(a.get("digitalSourceType"), str)]
    created = [a for a in typed if a.get("action") in ("c2pa.created", "c2pa.opened")]
    chosen = (created or typed)[:1]
    return str(chosen[0]["digitalSourceType"]) if chosen else None


def _is_ai(actions: tuple[dict[str, Any], ...]) -> bool:
    types = (a.get("digitalSourceType") for a in actions)
    return any(
        isinstance(t, str) and t.rstrip("/").rsplit("/", 1)[-1] in AI_SOURCE_TYPES for t in types
    )


def _generator(manifest: Mapping[str, Any]) -> str | None:
    info = _list(manifest.get("claim_generator_info"))
    if info and isinstance(info[0], dict) and info[0].get("name"):
        first = info[0]
        return f"{first['name']}/{first['version']}" if first.get("version") else str(first["name"])
    legacy = manifest.get("claim_generator")
    return legacy if isinstance(legacy, str) else None


def _subject(identity: SigningIdentity) -> dict[str, str]:
    return {
        attribute.rfc4514_attribute_name: str(attribute.value)
        for attribute in identity.ca_certificate.subject
    }


def _report(
    path: Path, mime: str, found: ManifestStore, identity: SigningIdentity | None
) -> CredentialReport:
    store = found.store
    manifest = _dict(_dict(store.get("manifests")).get(str(store.get("active_manifest"))))
    failures, successes = _statuses(store)
    errors = [
        f"{f.get('code')}: {f.get('explanation') or 'failed'}"
        for f in failures
        if isinstance(f, dict) and f.get("code") != _UNTRUSTED
    ]
    state = store.get("validation_state")
    valid = state in _VALID_STATES and bool(manifest) and not errors
    trusted = any(isinstance(s, dict) and s.get("code") == _TRUSTED for s in successes)
    signed_by_us = (
        identity is not None and valid and trusted and found.issuer_subject == _subject(identity)
    )
    claim: Claim | None = None
    try:
        claim = claim_from_manifest(manifest)
    except ValueError as exc:
        errors.append(str(exc))
    signature = _dict(manifest.get("signature_info"))
    actions = _actions(manifest)
    ingredients = _list(manifest.get("ingredients"))
    return CredentialReport(
        path=path,
        mime=mime,
        present=True,
        valid=valid,
        signed_by_us=signed_by_us,
        validation_state=state if isinstance(state, str) else None,
        signer=signature.get("common_name"),
        issuer=found.issuer_subject.get("CN") or signature.get("issuer"),
        signature_algorithm=signature.get("alg"),
        claim_generator=_generator(manifest),
        title=manifest.get("title"),
        actions=actions,
        digital_source_type=_source_type(actions),
        ai_generated=_is_ai(actions),
        claim=claim,
        c2pa_ingredients=tuple(str(_dict(i).get("title")) for i in ingredients),
        errors=tuple(errors),
    )


def read(path: Path, identity: SigningIdentity | None = None) -> CredentialReport:
    """Read and validate the content credentials of `path` (nothing is fetched over the
    network). A file without a manifest gives `present=False`; one whose manifest cannot be
    decoded gives `present=True, valid=False` with the reason in `errors`. Raises
    `UnsupportedFormatError` for formats that cannot carry credentials and
    `CorruptMediaError` for damaged or empty files."""
    fmt = detect_format(path)
    anchor = identity.ca_certificate_pem() if identity is not None else None
    try:
        with path.open("rb") as stream:
            found = read_stream(fmt.mime, stream, anchor)
    except NativeError as exc:
        if exc.failure is Failure.UNSUPPORTED:
            raise UnsupportedFormatError(
                f"{path}: cannot read content credentials ({exc})"
            ) from exc
        if exc.failure is Failure.ASSET:
            raise CorruptMediaError(f"{path}: the {fmt.name} file is damaged ({exc})") from exc
        return CredentialReport(
            path, fmt.mime, present=True, errors=(f"manifest cannot be decoded: {exc}",)
        )
    if found is None:
        return CredentialReport(path, fmt.mime, present=False)
    return _report(path, fmt.mime, found, identity)
