"""The detectors `fauxlab detect` can run: each described once, loaded only when used.

A detector is described by one `DetectorSpec`: its name, the sentence a reader of the
report sees, its weight in the fusion, the options it takes, its model card, and how to
build it. The ones fauxlab ships live in `fauxlab.detection.detectors.<name>/`, whose
`__init__.py` holds that spec and nothing heavier; `detectors.BUILTIN` lists them in their
default order. Anyone else calls `register(spec)`.

Lazy loading keeps `fauxlab detect --detectors provenance` from loading torch, and lets a
detector whose module or weights are not there be skipped with a reason instead of
breaking every other one.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, cast

from fauxlab.detection.evidence import Detector
from fauxlab.errors import FauxlabError, InputError

# Builds a detector from its options (keyword arguments named in `DetectorSpec.options`).
DetectorFactory = Callable[..., Detector]


@dataclass(frozen=True)
class DetectorSpec:
    """Everything fauxlab needs to know about one detector, in one place.

    `factory` is the class or function that builds it, or "module:attribute" to import it
    only when the detector is used. `weight` is how much the fusion trusts its evidence
    (1 = a full, calibrated detector), `video_weight` the weight on videos when it differs.
    `options` names the keyword arguments the factory accepts, each with what it does.
    `card` is the model card's file name in fauxlab/assets/detectors/, if it has one.
    `listens`: it judges sound, so it is asked about sound files too (the others are not:
    a sound file has no picture for them to look at)."""

    name: str
    about: str
    factory: DetectorFactory | str
    weight: float = 1.0
    video_weight: float | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    card: str | None = None
    listens: bool = False

    def weight_for(self, is_video: bool) -> float:
        """The weight of this detector's evidence on a video or a still."""
        if is_video and self.video_weight is not None:
            return self.video_weight
        return self.weight

    def card_file(self) -> Traversable | None:
        """The model card shipped with the package, or None when it has none."""
        if self.card is None:
            return None
        return resources.files("fauxlab").joinpath("assets", "detectors", self.card)

    def build(self, **options: object) -> Detector:
        """A new detector; options it does not take are an input error."""
        unknown = sorted(set(options) - set(self.options))
        if unknown:
            takes = ", ".join(self.options) or "none"
            raise InputError(
                f"detector {self.name!r} has no option {unknown[0]!r} (its options: {takes})"
            )
        factory = self.factory
        if isinstance(factory, str):
            module, _, attribute = factory.partition(":")
            factory = cast(DetectorFactory, getattr(importlib.import_module(module), attribute))
        return factory(**options)


_REGISTRY: dict[str, DetectorSpec] = {}


def register(spec: DetectorSpec) -> DetectorSpec:
    """Make a detector available to `fauxlab detect --detectors NAME` (a later spec with
    the same name replaces the earlier one). Returns the spec."""
    _REGISTRY[spec.name] = spec
    return spec


def _builtin() -> list[str]:
    from fauxlab.detection.detectors import BUILTIN

    for name in BUILTIN:
        if name not in _REGISTRY:
            module = importlib.import_module(f"fauxlab.detection.detectors.{name}")
            register(cast(DetectorSpec, module.SPEC))
    return list(BUILTIN)


def default_names() -> list[str]:
    """Built-in detectors first, in their order, then any others registered."""
    builtin = _builtin()
    return [*builtin, *(n for n in _REGISTRY if n not in builtin)]


def specs() -> list[DetectorSpec]:
    """Every registered detector's spec, in the default order."""
    return [_REGISTRY[name] for name in default_names()]


def detector_spec(name: str) -> DetectorSpec:
    """The spec of a registered detector; an unknown name is an input error."""
    known = default_names()
    if name not in _REGISTRY:
        raise InputError(f"unknown detector {name!r}; choose from {', '.join(known)}")
    return _REGISTRY[name]


def listens(name: str) -> bool:
    """Whether the detector judges sound (see `DetectorSpec.listens`); False if unknown."""
    default_names()
    found = _REGISTRY.get(name)
    return found.listens if found else False


def about(name: str) -> str:
    """The sentence a report reader sees about what this detector looked at ("" if none)."""
    default_names()
    found = _REGISTRY.get(name)
    return found.about if found else ""


@dataclass(frozen=True)
class Skipped:
    """A detector that could not be loaded, and why (shown in the report)."""

    name: str
    reason: str


def _load(name: str, options: Mapping[str, Any]) -> Detector | Skipped:
    try:
        return _REGISTRY[name].build(**options)
    except InputError:
        raise
    except ImportError as exc:  # its module or a dependency is missing from this install
        return Skipped(name, f"not available in this install ({exc})")
    except (FauxlabError, OSError) as exc:  # e.g. its weights are not shipped yet
        return Skipped(name, str(exc))


def available_detectors(
    names: Sequence[str] | None = None,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> tuple[list[Detector], list[Skipped]]:
    """Load the named detectors (default: all registered), skipping those that cannot load.

    `options` maps a detector's name to the options it is built with. An unknown name, or
    options for a detector not chosen, is a usage error; a detector named explicitly that
    cannot load is an error too (the user asked for it), while one left to the default is
    just skipped."""
    known = default_names()
    chosen = list(names) if names else known
    options = options or {}
    unknown = [n for n in [*chosen, *options] if n not in known]
    if unknown:
        raise InputError(f"unknown detector {unknown[0]!r}; choose from {', '.join(known)}")
    unused = [n for n in options if n not in chosen]
    if unused:
        raise InputError(f"options are given for detector {unused[0]!r}, which is not chosen")
    loaded: list[Detector] = []
    skipped: list[Skipped] = []
    for name in dict.fromkeys(chosen):
        result = _load(name, options.get(name, {}))
        if isinstance(result, Skipped):
            if names or name in options:  # asked for by name or given options
                raise InputError(f"detector {name!r} cannot be used: {result.reason}")
            skipped.append(result)
        else:
            loaded.append(result)
    return loaded, skipped


@dataclass(frozen=True)
class DetectorRecipe:
    """How to load a set of detectors, small enough to send to a worker process that
    builds its own copies (models are not shared across processes)."""

    names: tuple[str, ...] | None = None  # None: every one available
    # (detector, option, value): e.g. ("learned", "model", Path(...)) for another model
    options: tuple[tuple[str, str, Any], ...] = ()

    def load(self) -> tuple[list[Detector], list[Skipped]]:
        by_detector: dict[str, dict[str, Any]] = {}
        for detector, option, value in self.options:
            by_detector.setdefault(detector, {})[option] = value
        return available_detectors(self.names, by_detector)
