"""What fauxlab claims about media it made, and the C2PA manifest that carries the claim."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fauxlab import __version__
from fauxlab.fileio import sha256_file

GENERATION_LABEL = "org.fauxlab.generation"
GENERATION_SCHEMA = 1
IPTC_SOURCE_TYPES = "http://cv.iptc.org/newscodes/digitalsourcetype/"
TRAINED_ALGORITHMIC_MEDIA = IPTC_SOURCE_TYPES + "trainedAlgorithmicMedia"
# Source types that say a trained model made the media, in whole or in part.
AI_SOURCE_TYPES = frozenset({"trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia"})
# Labels c2pa writes itself or fauxlab writes on purpose; anything else is an extra assertion.
_RESERVED_PREFIXES = ("c2pa.actions", "c2pa.hash", "c2pa.thumbnail", "c2pa.ingredient")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _check_sha256(value: object, what: str) -> str:
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise ValueError(f"{what} must be 64 lowercase hex digits (a SHA-256), got {value!r}")
    return value


def _is_reserved(label: str) -> bool:
    return label == GENERATION_LABEL or label.startswith(_RESERVED_PREFIXES)


@dataclass(frozen=True)
class Ingredient:
    """A source medium the output was made from: its name and SHA-256. `path`, when given,
    also records it as a C2PA ingredient; it is local information and not compared."""

    name: str
    sha256: str
    path: Path | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError("an ingredient needs a non-empty name")
        _check_sha256(self.sha256, f"ingredient {self.name!r} sha256")

    @classmethod
    def from_file(cls, path: Path, name: str | None = None) -> Ingredient:
        return cls(name or path.name, sha256_file(path), path)

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "sha256": self.sha256}


@dataclass(frozen=True)
class Claim:
    """Everything fauxlab states about one output it generated."""

    title: str
    model_name: str
    model_weights_sha256: str | None  # None: weights unknown (media sealed for another tool)
    watermark_id: int
    ingredients: Sequence[Ingredient] = ()
    ledger_entry_id: int | str | None = None
    generator: str = "fauxlab"
    generator_version: str = __version__
    extra_assertions: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "ingredients", tuple(self.ingredients))
        object.__setattr__(self, "extra_assertions", dict(self.extra_assertions))
        for name in ("title", "model_name", "generator", "generator_version"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ValueError(f"Claim.{name} must be a non-empty string, got {value!r}")
        if self.model_weights_sha256 is not None:
            _check_sha256(self.model_weights_sha256, "Claim.model_weights_sha256")
        if isinstance(self.watermark_id, bool) or not isinstance(self.watermark_id, int):
            raise ValueError(f"Claim.watermark_id must be an int, got {self.watermark_id!r}")
        if not 0 <= self.watermark_id < 2**63:
            raise ValueError(f"Claim.watermark_id must be in [0, 2**63), got {self.watermark_id}")
        entry = self.ledger_entry_id
        if entry is not None and (
            isinstance(entry, bool)
            or not isinstance(entry, int | str)
            or (isinstance(entry, int) and entry < 0)
            or entry == ""
        ):
            raise ValueError(
                f"Claim.ledger_entry_id must be None, an int >= 0 or a string: {entry!r}"
            )
        for ingredient in self.ingredients:
            if not isinstance(ingredient, Ingredient):
                raise ValueError(f"Claim.ingredients holds {ingredient!r}, not an Ingredient")
        for label, data in self.extra_assertions.items():
            if not isinstance(label, str) or not label or _is_reserved(label):
                raise ValueError(f"extra assertion label {label!r} is empty or reserved")
            if not isinstance(data, Mapping):
                raise ValueError(f"extra assertion {label!r} must be a mapping")

    def generation_assertion(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "schema": GENERATION_SCHEMA,
            "model_name": self.model_name,
            "model_weights_sha256": self.model_weights_sha256,
            "ingredients": [i.to_dict() for i in self.ingredients],
            "watermark_id": self.watermark_id,
        }
        if self.ledger_entry_id is not None:
            data["ledger_entry_id"] = self.ledger_entry_id
        return data

    def manifest_definition(self) -> dict[str, Any]:
        """The manifest JSON c2pa's Builder takes."""
        agent = {"name": self.generator, "version": self.generator_version}
        created = {
            "action": "c2pa.created",
            "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
            "softwareAgent": agent,
            "description": f"generated by model {self.model_name}",
        }
        assertions: list[dict[str, Any]] = [
            {"label": "c2pa.actions", "data": {"actions": [created]}},
            {"label": GENERATION_LABEL, "data": self.generation_assertion()},
        ]
        assertions += [{"label": k, "data": dict(v)} for k, v in self.extra_assertions.items()]
        return {"claim_generator_info": [agent], "title": self.title, "assertions": assertions}

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "generator": self.generator,
            "generator_version": self.generator_version,
            **{k: v for k, v in self.generation_assertion().items() if k != "schema"},
            "ledger_entry_id": self.ledger_entry_id,
            "extra_assertions": {k: dict(v) for k, v in self.extra_assertions.items()},
        }


def assertions_by_label(manifest: Mapping[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    assertions = manifest.get("assertions")
    for assertion in assertions if isinstance(assertions, list) else []:
        if isinstance(assertion, dict) and isinstance(assertion.get("label"), str):
            found.setdefault(assertion["label"], assertion.get("data"))
    return found


def claim_from_manifest(manifest: Mapping[str, Any]) -> Claim | None:
    """Rebuild the `Claim` a fauxlab manifest carries; None when it carries no fauxlab
    generation assertion. Raises ValueError when that assertion is malformed."""
    assertions = assertions_by_label(manifest)
    data = assertions.get(GENERATION_LABEL)
    if data is None:
        return None
    if not isinstance(data, dict):
        raise ValueError(f"{GENERATION_LABEL} assertion is not a map")
    if data.get("schema") != GENERATION_SCHEMA:
        raise ValueError(f"{GENERATION_LABEL} has unknown schema {data.get('schema')!r}")
    info = manifest.get("claim_generator_info")
    generator = info[0] if isinstance(info, list) and info and isinstance(info[0], dict) else {}
    raw_ingredients = data.get("ingredients", [])
    if not isinstance(raw_ingredients, list):
        raise ValueError(f"{GENERATION_LABEL}: ingredients is not a list")
    try:
        return Claim(
            title=manifest.get("title", ""),
            model_name=data.get("model_name", ""),
            model_weights_sha256=data.get("model_weights_sha256", ""),
            watermark_id=data.get("watermark_id"),  # type: ignore[arg-type]  # checked there
            ingredients=tuple(Ingredient(i.get("name"), i.get("sha256")) for i in raw_ingredients),
            ledger_entry_id=data.get("ledger_entry_id"),
            generator=generator.get("name", ""),
            generator_version=generator.get("version", ""),
            extra_assertions={k: v for k, v in assertions.items() if not _is_reserved(k)},
        )
    except (ValueError, AttributeError, TypeError) as exc:
        raise ValueError(f"{GENERATION_LABEL} assertion is malformed: {exc}") from exc
