"""What every training loop shares: device, seeding, budget, metrics log."""

from __future__ import annotations

import json
import random
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
import torch

from fauxlab.errors import SettingError


def choose_device(preference: str = "auto") -> torch.device:
    """ "auto": CUDA when present, else CPU; or "cpu" / "cuda" explicitly."""
    if preference == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if preference == "cuda" and not torch.cuda.is_available():
        raise SettingError(
            "`device` cuda asked for, but no CUDA device is available", settings=["device"]
        )
    return torch.device(preference)


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, NumPy and torch; return a CPU generator for the loop's own draws."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    rng = torch.Generator()
    rng.manual_seed(seed)
    return rng


@dataclass
class Budget:
    """Stop at a total step count, after some minutes of this session, or both."""

    total_steps: int | None = None
    minutes: float | None = None
    started: float = field(default_factory=time.monotonic)

    def done(self, step: int) -> bool:
        if self.total_steps is not None and step >= self.total_steps:
            return True
        return self.minutes is not None and time.monotonic() - self.started >= self.minutes * 60

    def elapsed(self) -> float:
        return time.monotonic() - self.started


class MetricsLog:
    """metrics.jsonl: one JSON object per line, each with a "step"."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, record: dict[str, Any]) -> None:
        with self.path.open("a") as handle:
            handle.write(json.dumps(record) + "\n")

    def read(self) -> list[dict[str, Any]]:
        return list(self._records())

    def truncate_after(self, step: int) -> None:
        """Forget lines logged after `step` (a run resumed from an older checkpoint)."""
        if not self.path.exists():
            return
        kept = [r for r in self._records() if int(r.get("step", 0)) <= step]
        self.path.write_text("".join(json.dumps(r) + "\n" for r in kept))

    def _records(self) -> Iterator[dict[str, Any]]:
        if not self.path.exists():
            return
        for line in self.path.read_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:  # a line cut short by a crash
                continue
            if isinstance(record, dict):
                yield record


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextmanager
def interruptible() -> Iterator[None]:
    """Within, SIGTERM (what `kill`, schedulers and CI send) and SIGINT raise
    KeyboardInterrupt, so a training loop saves a checkpoint before it exits. SIGINT is
    set too because a shell starts background jobs with it ignored."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for sig in previous:
            signal.signal(sig, _interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def lr_scale(fraction: float, decay_share: float) -> float:
    """1 until the last `decay_share` of the budget, then falling linearly to 0 at its end:
    with a constant rate the last step's weights wander around the minimum, and a short
    run is judged on exactly those weights."""
    if decay_share <= 0 or fraction <= 1 - decay_share:
        return 1.0
    return max(0.0, (1 - fraction) / decay_share)


def is_out_of_memory(exc: BaseException) -> bool:
    """Whether torch ran out of memory: CUDA's OutOfMemoryError, or the RuntimeError the
    CPU allocator ("can't allocate memory") and other backends ("out of memory") raise."""
    if isinstance(exc, torch.OutOfMemoryError | MemoryError):
        return True
    text = str(exc)
    return isinstance(exc, RuntimeError) and (
        "out of memory" in text or "can't allocate memory" in text
    )
