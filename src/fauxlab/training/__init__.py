"""The one training helper: device, seeding, budget, metrics and atomic checkpoints."""

from fauxlab.training.checkpoint import (
    Checkpoint,
    has_checkpoint,
    load_checkpoint,
    load_weights,
    save_checkpoint,
    save_weights,
)
from fauxlab.training.loop import Every, Hooks, Progress, Tick, fit
from fauxlab.training.run import (
    Budget,
    MetricsLog,
    choose_device,
    interruptible,
    seed_everything,
)

__all__ = [
    "Budget",
    "Checkpoint",
    "Every",
    "Hooks",
    "MetricsLog",
    "Progress",
    "Tick",
    "choose_device",
    "fit",
    "has_checkpoint",
    "interruptible",
    "load_checkpoint",
    "load_weights",
    "save_checkpoint",
    "save_weights",
    "seed_everything",
]
