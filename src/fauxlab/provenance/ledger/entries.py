"""What one ledger entry records, and the canonical bytes that are its Merkle leaf.

The leaf data is the entry as canonical JSON: keys sorted, no spaces, UTF-8, integers and
strings only. For such values this is exactly RFC 8785 (JCS) output, so a verifier in
any language can rebuild the bytes; but verifiers should hash the stored bytes as they
are rather than re-serialise, which is what exports and proofs carry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, cast

from fauxlab.provenance.ledger.errors import InvalidEntryError

ENTRY_SCHEMA = 1
"""Version of the entry JSON layout, recorded in every entry as "schema"."""

Kind = Literal["image", "video", "audio"]
KINDS: tuple[Kind, ...] = ("image", "video", "audio")
"""A sound's entry keeps its 256-bit audio fingerprint (`fauxlab.provenance.audio_hash`) in
`pdq`: the same size, stored and searched in the same index."""
MAX_PDQ = 256
"""PDQ hashes per entry at most (a video's sampled frames): ids in the index have 8 bits."""
WATERMARK_ID_LIMIT = 1 << 32
"""Watermark ids are unsigned 32-bit: what the pixel watermark can carry."""

_SHA256 = re.compile(r"[0-9a-f]{64}")
_PDQ = _SHA256  # PDQ is 256 bits too: 64 hex digits
_KEYS = frozenset(
    {
        "c2pa_manifest",
        "created",
        "file_name",
        "generator",
        "index",
        "kind",
        "pdq",
        "schema",
        "sha256",
        "sources",
        "watermark_id",
    }
)
_GENERATOR_KEYS = frozenset({"name", "version", "model", "weights_sha256"})


def canonical_json(value: Any) -> bytes:
    """Sorted keys, compact separators, UTF-8: one byte string per value."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def hex_digest(value: object, what: str, pattern: re.Pattern[str] = _SHA256) -> str:
    """A lowercase 64-digit hex string, or an `InvalidEntryError` saying which field."""
    if not isinstance(value, str) or not pattern.fullmatch(value.lower()):
        raise InvalidEntryError(f"{what} must be 64 hex digits, got {value!r}")
    return value.lower()


def utc_timestamp(moment: datetime | None = None) -> str:
    """ISO-8601 UTC with microseconds and a Z: sorts as text in time order."""
    moment = datetime.now(UTC) if moment is None else moment
    if moment.tzinfo is None:
        raise InvalidEntryError(f"timestamp {moment} has no time zone; pass an aware datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _check_timestamp(value: object) -> str:
    if not isinstance(value, str) or not value.endswith("Z"):
        raise InvalidEntryError(f"created must be an ISO-8601 UTC time ending in Z: {value!r}")
    try:
        datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidEntryError(f"created is not an ISO-8601 time: {value!r}") from exc
    return value


def _optional_text(value: object, what: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise InvalidEntryError(f"{what} must be text or absent, got {value!r}")
    return value


@dataclass(frozen=True)
class GeneratorInfo:
    """Which software and model made the media; weights by hash so a claim is checkable."""

    name: str
    version: str
    model: str
    weights_sha256: str | None = None

    def __post_init__(self) -> None:
        for what in ("name", "version", "model"):
            if not isinstance(getattr(self, what), str):
                raise InvalidEntryError(f"generator {what} must be text")
        if self.weights_sha256 is not None:
            digest = hex_digest(self.weights_sha256, "generator weights_sha256")
            object.__setattr__(self, "weights_sha256", digest)

    def to_dict(self) -> dict[str, str | None]:
        return {
            "name": self.name,
            "version": self.version,
            "model": self.model,
            "weights_sha256": self.weights_sha256,
        }

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> GeneratorInfo:
        if not isinstance(value, Mapping) or set(value) != _GENERATOR_KEYS:
            raise InvalidEntryError(
                f"generator must have exactly the keys {sorted(_GENERATOR_KEYS)}, got {value!r}"
            )
        return cls(value["name"], value["version"], value["model"], value["weights_sha256"])


@dataclass(frozen=True)
class EntryData:
    """What a caller records; the ledger adds the index (and `created`, if left out)."""

    sha256: str
    pdq: Sequence[str]
    kind: Kind
    generator: GeneratorInfo
    watermark_id: int
    sources: Sequence[str] = ()
    created: datetime | None = None
    c2pa_manifest: str | None = None
    file_name: str | None = None


@dataclass(frozen=True)
class LedgerEntry:
    """One recorded entry, exactly as its leaf data says (see `to_json`)."""

    index: int
    sha256: str
    pdq: tuple[str, ...]
    kind: Kind
    generator: GeneratorInfo
    watermark_id: int
    created: str
    sources: tuple[str, ...] = ()
    c2pa_manifest: str | None = None
    file_name: str | None = None
    schema: int = field(default=ENTRY_SCHEMA)

    def __post_init__(self) -> None:
        if not isinstance(self.index, int) or isinstance(self.index, bool) or self.index < 0:
            raise InvalidEntryError(f"index must be a non-negative integer, got {self.index!r}")
        if self.schema != ENTRY_SCHEMA:
            raise InvalidEntryError(f"entry schema {self.schema!r} is not {ENTRY_SCHEMA}")
        object.__setattr__(self, "sha256", hex_digest(self.sha256, "sha256"))
        if self.kind not in KINDS:
            raise InvalidEntryError(f"kind must be one of {KINDS}, got {self.kind!r}")
        if isinstance(self.pdq, str) or not self.pdq:
            raise InvalidEntryError("pdq must be a non-empty list of PDQ hashes (hex)")
        if len(self.pdq) > MAX_PDQ:
            raise InvalidEntryError(f"at most {MAX_PDQ} PDQ hashes per entry, got {len(self.pdq)}")
        if self.kind == "image" and len(self.pdq) != 1:
            raise InvalidEntryError(f"an image has one PDQ hash, got {len(self.pdq)}")
        if self.kind == "audio" and len(self.pdq) != 1:
            raise InvalidEntryError(
                f"a sound has one audio fingerprint (in pdq), got {len(self.pdq)}"
            )
        pdq = tuple(hex_digest(h, "a PDQ hash", _PDQ) for h in self.pdq)
        object.__setattr__(self, "pdq", pdq)
        if isinstance(self.sources, str):
            raise InvalidEntryError("sources must be a list of sha256 hex digests")
        sources = tuple(hex_digest(s, "a source sha256") for s in self.sources)
        object.__setattr__(self, "sources", sources)
        if not isinstance(self.generator, GeneratorInfo):
            raise InvalidEntryError("generator must be a GeneratorInfo")
        wid = self.watermark_id
        if not isinstance(wid, int) or isinstance(wid, bool) or not 0 <= wid < WATERMARK_ID_LIMIT:
            raise InvalidEntryError(f"watermark_id must be an unsigned 32-bit integer: {wid!r}")
        _check_timestamp(self.created)
        _optional_text(self.c2pa_manifest, "c2pa_manifest")
        _optional_text(self.file_name, "file_name")

    @classmethod
    def from_data(cls, index: int, data: EntryData) -> LedgerEntry:
        """The entry `data` becomes at `index`, validated; `created` defaults to now."""
        return cls(
            index=index,
            sha256=data.sha256,
            pdq=tuple(data.pdq),
            kind=data.kind,
            generator=data.generator,
            watermark_id=data.watermark_id,
            created=utc_timestamp(data.created),
            sources=tuple(data.sources),
            c2pa_manifest=data.c2pa_manifest,
            file_name=data.file_name,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": self.schema,
            "index": self.index,
            "sha256": self.sha256,
            "pdq": list(self.pdq),
            "kind": self.kind,
            "generator": self.generator.to_dict(),
            "sources": list(self.sources),
            "created": self.created,
            "watermark_id": self.watermark_id,
            "c2pa_manifest": self.c2pa_manifest,
            "file_name": self.file_name,
        }

    def to_json(self) -> bytes:
        """The Merkle leaf data: canonical JSON of `to_dict()`."""
        return canonical_json(self.to_dict())

    @classmethod
    def from_json(cls, data: bytes | str) -> LedgerEntry:
        """Parse leaf data, refusing anything that is not exactly its canonical form."""
        raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
        try:
            value = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise InvalidEntryError(f"entry is not valid UTF-8 JSON: {exc}") from exc
        if not isinstance(value, dict) or set(value) != _KEYS:
            raise InvalidEntryError(f"entry must be an object with the keys {sorted(_KEYS)}")
        if not isinstance(value["pdq"], list) or not isinstance(value["sources"], list):
            raise InvalidEntryError("entry pdq and sources must be lists")
        entry = cls(
            index=value["index"],
            sha256=value["sha256"],
            pdq=tuple(value["pdq"]),
            kind=cast(Kind, value["kind"]),
            generator=GeneratorInfo.from_dict(value["generator"]),
            watermark_id=value["watermark_id"],
            created=value["created"],
            sources=tuple(value["sources"]),
            c2pa_manifest=value["c2pa_manifest"],
            file_name=value["file_name"],
            schema=value["schema"],
        )
        if entry.to_json() != raw:
            raise InvalidEntryError("entry JSON is not in canonical form (sorted, compact)")
        return entry
