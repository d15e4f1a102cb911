"""The detectors fauxlab ships, registered by name and imported only when used.

Lazy imports keep `fauxlab detect --detectors provenance` from loading torch, and let a
detector whose module is not there yet (or whose weights are not shipped yet) be skipped
with a reason instead of breaking every other one.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from fauxlab.detection.evidence import Detector, DetectorFactory, detector_names, register
from fauxlab.detection.evidence import make_detector as _make
from fauxlab.errors import FauxlabError, InputError

# name -> (module, class); the order is the default order of `fauxlab detect`.
BUILTIN: dict[str, tuple[str, str]] = {
    "provenance": ("fauxlab.detection.provenance_evidence", "ProvenanceDetector"),
    "learned": ("fauxlab.detection.learned.detector", "LearnedFaceDetector"),
    "spectrum": ("fauxlab.detection.spectrum.detector", "SpectrumDetector"),
    "blink": ("fauxlab.detection.blink", "BlinkDetector"),
    "lipsync": ("fauxlab.detection.lipsync", "LipSyncDetector"),
    "temporal": ("fauxlab.detection.temporal.detector", "TemporalDetector"),
    "generated": ("fauxlab.detection.generated.detector", "GeneratedImageDetector"),
    "shallowfake": ("fauxlab.detection.shallowfake.detector", "ShallowfakeDetector"),
}


@dataclass(frozen=True)
class Skipped:
    """A detector that could not be loaded, and why (shown in the report)."""

    name: str
    reason: str


def _lazy(module: str, attribute: str) -> DetectorFactory:
    def factory() -> Detector:
        return cast(Detector, getattr(importlib.import_module(module), attribute)())

    return factory


def register_builtin_detectors() -> None:
    """Register the built-in factories (safe to call again: it only re-registers)."""
    for name, (module, attribute) in BUILTIN.items():
        register(name, _lazy(module, attribute))


def default_names() -> list[str]:
    """Built-in detectors first, in their order, then any others registered."""
    register_builtin_detectors()
    return [*BUILTIN, *(n for n in detector_names() if n not in BUILTIN)]


def _load(name: str) -> Detector | Skipped:
    try:
        return _make(name)
    except ImportError as exc:  # its module has not landed, or a dependency is missing
        return Skipped(name, f"not available in this install ({exc})")
    except (FauxlabError, OSError) as exc:  # e.g. its weights are not shipped yet
        return Skipped(name, str(exc))


def available_detectors(
    names: Sequence[str] | None = None,
) -> tuple[list[Detector], list[Skipped]]:
    """Load the named detectors (default: all registered), skipping those that cannot load.

    An unknown name is a usage error; a detector named explicitly that cannot load is an
    error too (the user asked for it), while one left to the default is just skipped."""
    known = default_names()
    chosen = list(names) if names else known
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise InputError(f"unknown detector {unknown[0]!r}; choose from {', '.join(known)}")
    loaded: list[Detector] = []
    skipped: list[Skipped] = []
    for name in dict.fromkeys(chosen):
        result = _load(name)
        if isinstance(result, Skipped):
            if names:
                raise InputError(f"detector {name!r} cannot be used: {result.reason}")
            skipped.append(result)
        else:
            loaded.append(result)
    return loaded, skipped


def with_learned_model(loaded: list[Detector], model: Path | None) -> list[Detector]:
    """The loaded detectors, with `learned` swapped for one read from `model`."""
    if model is None:
        return loaded
    from fauxlab.detection.learned.detector import LearnedFaceDetector

    if not any(d.name == "learned" for d in loaded):
        raise InputError("--model replaces the learned detector; add learned to --detectors")
    return [LearnedFaceDetector(model) if d.name == "learned" else d for d in loaded]


@dataclass(frozen=True)
class DetectorRecipe:
    """How to load a set of detectors, small enough to send to a worker process that
    builds its own copies (models are not shared across processes)."""

    names: tuple[str, ...] | None = None  # None: every one available
    model: Path | None = None  # a learned detector to use instead of the shipped one

    def load(self) -> tuple[list[Detector], list[Skipped]]:
        loaded, skipped = available_detectors(self.names)
        return with_learned_model(loaded, self.model), skipped
