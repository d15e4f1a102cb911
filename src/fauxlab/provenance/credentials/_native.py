"""The one module that touches c2pa-python: typed calls in, plain Python data out.

c2pa-python 0.38.1 ships no type hints (no py.typed), so everything from it is `Any` here
and nowhere else. Its errors are sorted into three kinds the rest of the package acts on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, BinaryIO, cast

import c2pa  # type: ignore[import-untyped]

# No thumbnail in the manifest (it grew a 512x512 PNG by 30% and is not needed to verify),
# and nothing fetched over the network while signing or reading: a remote manifest or an
# OCSP response would make the answer depend on the machine's connectivity.
_OFFLINE: dict[str, Any] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
_SIGN_SETTINGS: dict[str, Any] = {**_OFFLINE, "builder": {"thumbnail": {"enabled": False}}}


class Failure(Enum):
    UNSUPPORTED = "unsupported"  # the library does not handle this container
    ASSET = "asset"  # the container itself cannot be parsed: truncated, damaged
    MANIFEST = "manifest"  # a manifest is there but cannot be decoded or verified


class NativeError(Exception):
    """A c2pa failure, sorted: `failure` says what kind, the message is c2pa's own."""

    def __init__(self, failure: Failure, message: str) -> None:
        super().__init__(message)
        self.failure = failure


def _classify(exc: BaseException) -> NativeError:
    message = str(exc)
    error = c2pa.C2paError
    if isinstance(exc, error.NotSupported):
        return NativeError(Failure.UNSUPPORTED, message)
    if isinstance(exc, error.Io | error.FileNotFound) or "could not be parsed" in message:
        return NativeError(Failure.ASSET, message)
    return NativeError(Failure.MANIFEST, message)


@dataclass(frozen=True)
class IngredientSource:
    """A file to record as a C2PA ingredient: its definition, format and open stream."""

    definition: Mapping[str, Any]
    mime: str
    stream: BinaryIO


def sign_stream(
    definition: Mapping[str, Any],
    *,
    mime: str,
    source: BinaryIO,
    destination: BinaryIO,
    cert_chain_pem: bytes,
    key_pem: bytes,
    ingredients: Sequence[IngredientSource] = (),
) -> None:
    """Embed a manifest built from `definition` (ES256) while copying `source` to
    `destination` (opened w+b: c2pa seeks back into what it wrote)."""
    try:
        info = c2pa.C2paSignerInfo(c2pa.C2paSigningAlg.ES256, cert_chain_pem, key_pem, None)
        with (
            c2pa.Context.from_dict(_SIGN_SETTINGS) as context,
            c2pa.Builder(dict(definition), context=context) as builder,
            c2pa.Signer.from_info(info) as signer,
        ):
            for ingredient in ingredients:
                builder.add_ingredient(
                    dict(ingredient.definition), ingredient.mime, ingredient.stream
                )
            builder.sign(signer, mime, source, destination)
    except c2pa.C2paError as exc:
        raise _classify(exc) from exc


@dataclass(frozen=True)
class ManifestStore:
    """What c2pa read: the manifest store as `Reader.json()` gives it, and the subject of
    the active manifest's certificate issuer (from crJSON; `Reader.json()` gives only its
    organisation)."""

    store: dict[str, Any]
    issuer_subject: dict[str, str]


def read_stream(
    mime: str, stream: BinaryIO, trust_anchor_pem: bytes | None
) -> ManifestStore | None:
    """Read and validate the manifest store in `stream`; None when there is none. With
    `trust_anchor_pem`, that certificate is the only trust anchor."""
    settings: dict[str, Any] = dict(_OFFLINE)
    if trust_anchor_pem is not None:
        settings["trust"] = {"trust_anchors": trust_anchor_pem.decode("ascii")}
    try:
        with c2pa.Context.from_dict(settings) as context:
            reader = c2pa.Reader.try_create(mime, stream, None, context)
            if reader is None:
                return None
            with reader:
                store = cast(dict[str, Any], json.loads(reader.json()))
                crjson = cast(dict[str, Any], json.loads(reader.crjson()))
    except c2pa.C2paError as exc:
        raise _classify(exc) from exc
    return ManifestStore(store, _issuer_subject(crjson, store.get("active_manifest")))


def _issuer_subject(crjson: Mapping[str, Any], active: object) -> dict[str, str]:
    manifests = crjson.get("manifests")
    if not isinstance(manifests, list):
        return {}
    for manifest in manifests:
        if isinstance(manifest, dict) and manifest.get("label") == active:
            info = manifest.get("signature", {}).get("certificateInfo", {})
            issuer = info.get("issuer") if isinstance(info, dict) else None
            if isinstance(issuer, dict):
                return {str(k): str(v) for k, v in issuer.items()}
    return {}
