"""The one training loop: take steps until the budget is spent, run the hooks on their
schedule, and let the trainer keep what it learned however the loop ends.

A trainer gives only its step (one optimiser update, or None when the step was not taken
and is to be retried, e.g. after halving a batch that ran out of memory) and its hooks:
what to do after every step, what to do every N steps or M minutes (log, evaluate,
preview, checkpoint), and what to do when the loop stops. SIGTERM and Ctrl-C stop it as
KeyboardInterrupt (`interruptible`), so the stop hook runs before the process exits.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from fauxlab.training.run import Budget, interruptible

Losses = Mapping[str, float]


@dataclass(frozen=True)
class Tick:
    """Where a long job stands, for a progress display: its phase ("loading images",
    "training", "evaluating"...), how far it is, out of how many (None when open-ended),
    and its latest numbers (losses, speed)."""

    phase: str
    done: int
    total: int | None = None
    values: Mapping[str, float] = field(default_factory=dict)


Progress = Callable[[Tick], None]  # the one progress callback every trainer takes
# One step: (the step count after it, its losses), or None when it was not taken.
Step = Callable[[], tuple[int, Losses] | None]


@dataclass
class Every:
    """`action(step)` after every `steps`-th step, and/or when `minutes` have passed since
    it last ran (or since the loop started)."""

    action: Callable[[int], None]
    steps: int | None = None
    minutes: float | None = None
    _last: float = field(default_factory=time.monotonic, init=False, repr=False)

    def due(self, step: int) -> bool:
        if self.steps and step % self.steps == 0:
            return True
        return self.minutes is not None and time.monotonic() - self._last >= self.minutes * 60

    def run(self, step: int) -> None:
        self.action(step)
        self._last = time.monotonic()


@dataclass
class Hooks:
    """What a trainer does around its steps. `after_step(step, losses)` runs after each
    step taken; each of `every` when it is due, in order; `stop(step, error)` once, when
    the loop ends: `error` is None on a normal end, else what ended it (re-raised after)."""

    after_step: Callable[[int, Losses], None] | None = None
    every: Sequence[Every] = ()
    stop: Callable[[int, BaseException | None], None] | None = None


def fit(step: Step, budget: Budget, hooks: Hooks, start: int = 0) -> int:
    """Take steps from step count `start` until `budget` is spent; returns the count."""
    current = start
    with interruptible():
        try:
            while not budget.done(current):
                taken = step()
                if taken is None:
                    continue
                current, losses = taken
                if hooks.after_step is not None:
                    hooks.after_step(current, losses)
                for hook in hooks.every:
                    if hook.due(current):
                        hook.run(current)
        except BaseException as exc:
            if hooks.stop is not None:
                hooks.stop(current, exc)
            raise
        if hooks.stop is not None:
            hooks.stop(current, None)
    return current
