"""A training run's settings, saved as config.json beside its checkpoints."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from fauxlab.errors import SettingError
from fauxlab.synthesis.gan.augment import POLICIES
from fauxlab.synthesis.gan.losses import LOSS_NAMES, LossName
from fauxlab.synthesis.gan.models import Architecture, ModelName, default_architecture


@dataclass(frozen=True)
class TrainConfig:
    """Defaults come from `TrainConfig.for_model`: DCGAN as published, fauxlab's stabilisers."""

    arch: Architecture = field(default_factory=Architecture)
    data_dir: str = ""
    loss: LossName = "hinge"
    batch: int = 64
    lr_g: float = 2e-4
    lr_d: float = 2e-4
    beta1: float = 0.0
    beta2: float = 0.99
    augment: tuple[str, ...] = POLICIES
    r1_gamma: float = 1.0
    r1_every: int = 16
    ema_beta: float | None = 0.999
    seed: int = 0
    image_limit: int | None = None
    holdout: int = 0
    log_every: int = 10
    sample_every: int = 100
    checkpoint_every: int = 500

    @classmethod
    def for_model(cls, model: ModelName, size: int, **overrides: Any) -> TrainConfig:
        arch = default_architecture(model, size)
        if model == "dcgan":
            base = cls(
                arch=arch, loss="bce", beta1=0.5, beta2=0.999, augment=(),
                r1_gamma=0.0, ema_beta=None,
            )  # fmt: skip
        else:
            base = cls(arch=arch)
        return replace(base, **overrides)

    def check(self) -> None:
        self.arch.check()
        if self.loss not in LOSS_NAMES:
            raise SettingError(
                f"unknown `loss` {self.loss!r}; choose one of {', '.join(LOSS_NAMES)}",
                settings=["loss"],
            )
        if self.batch < 2:
            raise SettingError(f"`batch` must be at least 2, got {self.batch}", settings=["batch"])
        for name in ("log_every", "sample_every", "checkpoint_every", "r1_every"):
            if getattr(self, name) < 1:
                raise SettingError(f"`{name}` must be at least 1", settings=[name])

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["augment"] = list(self.augment)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        values = dict(data)
        values["arch"] = Architecture.from_dict(values.get("arch", {}))
        values["augment"] = tuple(values.get("augment", ()))
        known = {k: v for k, v in values.items() if k in cls.__dataclass_fields__}
        return cls(**known)
