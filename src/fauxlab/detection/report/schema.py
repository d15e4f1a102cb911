"""The JSON report's schema, `fauxlab.detect/1`, as a JSON-Schema dict, and a tiny checker.

The version in `schema` changes only when a field is removed or changes meaning; new
fields may be added within a version, so readers must ignore keys they do not know.
The checker implements the handful of JSON-Schema keywords used here (jsonschema itself
is not a dependency); docs/detect.md describes every field in words.
"""

from __future__ import annotations

import re
from typing import Any

SCHEMA_ID = "fauxlab.detect/1"
VERDICTS = ["fake", "real", "uncertain", "no face"]

_PROBABILITY: dict[str, Any] = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
_COUNT: dict[str, Any] = {"type": "integer", "minimum": 0}
_BOX: dict[str, Any] = {"type": "array", "items": {"type": "number"}, "minItems": 4, "maxItems": 4}


def _object(properties: dict[str, Any], optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """An object with these properties, all required unless named optional."""
    return {
        "type": "object",
        "properties": properties,
        "required": [k for k in properties if k not in optional],
    }


def _array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


FACE_SCORE = _object(
    {
        "frame": _COUNT,
        "time": {"type": "number", "minimum": 0},
        "track_id": {"type": "integer"},
        "box": _BOX,
        "probability": {"type": "number", "minimum": 0, "maximum": 1},
    }
)
EDIT = _object(
    {
        "kind": {"enum": ["cut", "retiming"]},
        "time": {"type": ["number", "null"], "minimum": 0},
        "strength": {"type": "number", "minimum": 0},
        "sentence": {"type": "string"},
    }
)
EVIDENCE = _object(
    {
        "detector": {"type": "string"},
        "probability": _PROBABILITY,
        "summary": {"type": "string"},
        "weight": {"type": "number", "minimum": 0},
        "decisive": {"type": "boolean"},
        "details": {"type": "object"},
        "faces": _array(FACE_SCORE),
        "figures": _array(
            _object(
                {
                    "name": {"type": "string"},
                    "caption": {"type": "string"},
                    # added within version 1: "svg" (a chart) or "png" (a picture)
                    "format": {"enum": ["png", "svg"]},
                },
                optional=("format",),
            )
        ),
        # added within version 1: how far this evidence moved the file's probability
        "contribution": {"type": ["number", "null"], "minimum": -1, "maximum": 1},
        # added within version 1: ordinary edits (cuts, retiming), not evidence of fakery
        "edits": _array(EDIT),
    },
    optional=("contribution", "edits"),
)
FACE = _object(
    {
        "frame": _COUNT,
        "time": {"type": "number", "minimum": 0},
        "track_id": {"type": "integer"},
        "box": _BOX,
        "score": {"type": "number"},
        "probability": _PROBABILITY,
    }
)
TIMELINE_POINT = _object(
    {
        "frame": _COUNT,
        "time": {"type": "number", "minimum": 0},
        "probability": {"type": "number", "minimum": 0, "maximum": 1},
        "track_id": {"type": "integer"},
        "detector": {"type": "string"},
    }
)
FILE = _object(
    {
        "path": {"type": "string"},
        "kind": {"enum": ["image", "video", "audio"]},
        "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
        "width": _COUNT,
        "height": _COUNT,
        "duration": {"type": ["number", "null"], "minimum": 0},
        "frames_analysed": _COUNT,
        "keyframes": _COUNT,
        "face_count": _COUNT,
        "verdict": {"enum": VERDICTS},
        "probability": _PROBABILITY,
        "threshold": {"type": "number", "minimum": 0, "maximum": 1},
        "decided_by": {"type": ["string", "null"]},
        "explanation": {"type": "string"},
        # added within version 1: cuts and retiming, apart from the probability of fakery
        "edits": _object({"summary": {"type": "string"}, "found": _array(EDIT)}),
        "evidence": _array(EVIDENCE),
        "faces": _array(FACE),
        "timeline": _array(TIMELINE_POINT),
        "seconds": {"type": "number", "minimum": 0},
    },
    optional=("edits",),
)
SCHEMA: dict[str, Any] = {
    "$id": SCHEMA_ID,
    "title": "fauxlab detect report",
    **_object(
        {
            "schema": {"const": SCHEMA_ID},
            "fauxlab_version": {"type": "string"},
            "created": {"type": "string"},
            "threshold": {"type": "number", "minimum": 0, "maximum": 1},
            "bands": _object(
                {
                    "real_below": {"type": "number", "minimum": 0, "maximum": 1},
                    "fake_from": {"type": "number", "minimum": 0, "maximum": 1},
                }
            ),
            "keyframes": {"type": "integer", "minimum": 1},
            "detectors": _array({"type": "string"}),
            "skipped_detectors": _array(
                _object({"name": {"type": "string"}, "reason": {"type": "string"}})
            ),
            "summary": _object(
                {
                    "files": _COUNT,
                    "errors": _COUNT,
                    "fake": _COUNT,
                    "uncertain": _COUNT,
                    "real": _COUNT,
                    "no_face": _COUNT,
                }
            ),
            "files": _array(FILE),
            "errors": _array(_object({"path": {"type": "string"}, "reason": {"type": "string"}})),
        }
    ),
}

_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "number": (int, float),
    "integer": (int,),
    "boolean": (bool,),
    "null": (type(None),),
}


def _is(value: Any, name: str) -> bool:
    if isinstance(value, bool) and name in ("number", "integer"):
        return False  # JSON booleans are not numbers, though Python's are ints
    return isinstance(value, _TYPES[name])


def _check_scalar(value: Any, schema: dict[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    if "const" in schema and value != schema["const"]:
        problems.append(f"{where}: expected {schema['const']!r}, got {value!r}")
    if "enum" in schema and value not in schema["enum"]:
        problems.append(f"{where}: {value!r} is not one of {schema['enum']}")
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if number and "minimum" in schema and value < schema["minimum"]:
        problems.append(f"{where}: {value} is below {schema['minimum']}")
    if number and "maximum" in schema and value > schema["maximum"]:
        problems.append(f"{where}: {value} is above {schema['maximum']}")
    if "pattern" in schema and isinstance(value, str) and not re.search(schema["pattern"], value):
        problems.append(f"{where}: {value!r} does not match {schema['pattern']}")
    return problems


def validate(value: Any, schema: dict[str, Any] = SCHEMA, where: str = "$") -> list[str]:
    """Every way `value` breaks `schema` (type, const, enum, minimum, maximum, pattern,
    required, properties, items, minItems, maxItems), as 'path: problem' lines; empty when valid."""
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is(value, n) for n in names):
            return [f"{where}: expected {' or '.join(names)}, got {type(value).__name__}"]
    problems = _check_scalar(value, schema, where)
    if isinstance(value, dict):
        problems += [
            f"{where}: missing {k!r}" for k in schema.get("required", []) if k not in value
        ]
        for key, sub in schema.get("properties", {}).items():
            if key in value:
                problems += validate(value[key], sub, f"{where}.{key}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            problems.append(f"{where}: fewer than {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            problems.append(f"{where}: more than {schema['maxItems']} items")
        if "items" in schema:
            for i, item in enumerate(value):
                problems += validate(item, schema["items"], f"{where}[{i}]")
    return problems
