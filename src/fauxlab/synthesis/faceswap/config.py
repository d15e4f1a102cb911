"""What a face-swap training run is told (`TrainConfig`), what it reports at each step
and what it returns (`TrainSummary`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from fauxlab.errors import SettingError
from fauxlab.synthesis.faceswap.guide import GUIDE_NAMES
from fauxlab.synthesis.faceswap.losses import LossWeights
from fauxlab.synthesis.faceswap.models import MODEL_NAMES

DEFAULT_LR = {"fauxlab": 2e-4, "classic": 5e-5}  # classic: the original deepfakes setting
MIN_BATCH = 2


@dataclass(frozen=True)
class TrainConfig:
    model: str = "fauxlab"
    size: int = 64
    batch: int = 16
    lr: float | None = None  # None: DEFAULT_LR for the model
    gan_weight: float = 0.0
    gan_start: float = 0.5  # share of the budget after which the critic switches on
    expression_weight: float = 0.0  # swaps must keep the source's mouth opening (expression.py)
    guide: str = "none"  # "expression": decoders are told mouth and eye opening (guide.py)
    lr_decay: float = 0.0  # last share of the budget over which the learning rate falls to 0
    mouth_balance: float = 0.5  # evens out mouth openings in the faces drawn (sampling.py)
    preview_every: int = 500
    checkpoint_minutes: float = 5.0
    log_every: int = 20
    seed: int = 0
    device: str = "auto"
    losses: LossWeights = field(default_factory=LossWeights)

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else DEFAULT_LR[self.model]

    def check(self) -> None:
        if self.model not in MODEL_NAMES:
            raise SettingError(
                f"unknown `model` {self.model!r}; choose {', '.join(MODEL_NAMES)}",
                settings=["model"],
            )
        if self.size not in (64, 128):
            raise SettingError(f"`size` must be 64 or 128, got {self.size}", settings=["size"])
        if self.model == "classic" and self.size != 64:
            raise SettingError(
                "`model` classic is the 64 px baseline; use `size` 64", settings=["model", "size"]
            )
        if self.batch < MIN_BATCH:
            raise SettingError(
                f"`batch` must be at least {MIN_BATCH}, got {self.batch}", settings=["batch"]
            )
        if self.gan_weight < 0:
            raise SettingError(
                f"`gan_weight` must be 0 or more, got {self.gan_weight}", settings=["gan_weight"]
            )
        if self.expression_weight < 0:
            raise SettingError(
                f"`expression_weight` must be 0 or more, got {self.expression_weight}",
                settings=["expression_weight"],
            )
        if self.guide not in GUIDE_NAMES:
            raise SettingError(
                f"unknown `guide` {self.guide!r}; choose {', '.join(GUIDE_NAMES)}",
                settings=["guide"],
            )
        if not 0.0 <= self.lr_decay <= 1.0:
            raise SettingError(
                f"`lr_decay` must be between 0 and 1, got {self.lr_decay}", settings=["lr_decay"]
            )
        if not 0.0 <= self.mouth_balance <= 1.0:
            raise SettingError(
                f"`mouth_balance` must be between 0 and 1, got {self.mouth_balance}",
                settings=["mouth_balance"],
            )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        values = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        values["losses"] = LossWeights(**values.get("losses", {}))
        return cls(**values)


@dataclass
class TrainSummary:
    run: str
    model: str
    batch: int = 0  # at the end: smaller than asked when memory was short
    step: int = 0
    images: int = 0
    train_seconds: float = 0.0
    images_per_s: float = 0.0
    losses: dict[str, float] = field(default_factory=dict)
    previews: list[str] = field(default_factory=list)
    weights_sha256: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
