"""How far a face-swap score moves: several applies of each run, each scored on the whole clip.

    .venv/bin/python benchmarks/swap_spread.py runs/ab-s0 runs/ab-s1 [--applies 3]
        [--video liveportrait-d6.mp4] [--to b] [--sharpen 0 --resample linear] [--no-baseline]

Every `swap apply` seals its output with a new watermark payload, and that alone moves
FaceMesh's lip reading on a soft 64 px mouth (BENCHMARKS.md, "One apply is one draw").
So a model or a conversion setting is judged here by the mean, spread and minimum over
applies and runs (seeds), against the goal of issue #5 (mouth correlation >= 0.8 with
ID retrieval >= 0.9), never by one number. With a conversion setting given (--sharpen,
--resample, --flip-average), `swap apply`'s default conversion is applied as often beside
it, to the same runs, and the ratio of the two means is printed. Outputs and their ledger
go to a temporary folder.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from _common import data_argument
from fauxlab.synthesis.faceswap.convert import (
    DEFAULT_RESAMPLING,
    DEFAULT_SHARPEN,
    RESAMPLING,
    apply_swap,
)
from fauxlab.synthesis.faceswap.evaluate import evaluate
from fauxlab.synthesis.faceswap.runfolder import LoadedRun, load_run

GOAL_MOUTH, GOAL_ID = 0.8, 0.9


@dataclass(frozen=True)
class Setting:
    name: str
    sharpen: float = DEFAULT_SHARPEN
    resampling: int = DEFAULT_RESAMPLING
    flip_average: bool = False

    def describe(self) -> str:
        resample = next(k for k, v in RESAMPLING.items() if v == self.resampling)
        return f"sharpen {self.sharpen}, {resample} paste, flip average {self.flip_average}"


@dataclass(frozen=True)
class Draw:
    run: str
    setting: str
    mouth: float
    identity: float
    eyes: float

    @property
    def passes(self) -> bool:
        return self.mouth >= GOAL_MOUTH and self.identity >= GOAL_ID


def _one(run: LoadedRun, setting: Setting, video: Path, to: str, out: Path, frames: int) -> Draw:
    apply_swap(run, video, out, to, flip_average=setting.flip_average,
               sharpen=setting.sharpen, interpolation=setting.resampling)  # fmt: skip
    scores = evaluate(run, video, out, to, frames)
    return Draw(run.folder.name, setting.name, scores.mouth_correlation or 0.0,
                scores.id_retrieval, scores.eye_correlation or 0.0)  # fmt: skip


def _summary(label: str, draws: list[Draw]) -> str:
    mouths = [d.mouth for d in draws]
    ids = [d.identity for d in draws]
    spread = statistics.stdev(mouths) if len(mouths) > 1 else 0.0
    passed = sum(d.passes for d in draws)
    return (
        f"{label:<28} n={len(draws):<3} mouth mean {statistics.mean(mouths):.3f} "
        f"SD {spread:.3f} min {min(mouths):.3f} | ID mean {statistics.mean(ids):.3f} "
        f"min {min(ids):.3f} | eyes mean {statistics.mean(d.eyes for d in draws):.3f} "
        f"| pass {passed}/{len(draws)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    data_argument(parser)
    parser.add_argument("runs", nargs="+", type=Path, help="swap run folders (e.g. seeds)")
    parser.add_argument("--video", default="liveportrait-d6.mp4", help="source, in videos/")
    parser.add_argument("--to", default="b")
    parser.add_argument("--applies", type=int, default=3, help="applies per run and setting")
    parser.add_argument("--frames", type=int, default=100_000, help="frames scored (all)")
    parser.add_argument("--sharpen", type=float, default=DEFAULT_SHARPEN)
    parser.add_argument("--resample", choices=RESAMPLING, default=None, help="default: cubic")
    parser.add_argument("--flip-average", action="store_true")
    parser.add_argument("--no-baseline", action="store_true", help="skip the default beside")
    args = parser.parse_args()

    resampling = RESAMPLING[args.resample] if args.resample else DEFAULT_RESAMPLING
    trial = Setting("trial", args.sharpen, resampling, args.flip_average)
    default = Setting("default")
    if trial == Setting("trial"):  # nothing to compare: just the default conversion
        settings = [default]
    else:
        settings = [trial] if args.no_baseline else [default, trial]
    video = args.data / "videos" / args.video
    loaded = {run: load_run(run) for run in args.runs}  # weights read once, not per apply
    draws: list[Draw] = []
    with tempfile.TemporaryDirectory(prefix="fauxlab-swap-spread-") as tmp:
        os.environ["FAUXLAB_HOME"] = str(Path(tmp) / "home")  # a throwaway ledger and keys
        for number in range(args.applies):
            for run in args.runs:
                for setting in settings:
                    started = time.perf_counter()
                    out = Path(tmp) / f"{run.name}-{setting.name}-{number}.mp4"
                    draw = _one(loaded[run], setting, video, args.to, out, args.frames)
                    out.unlink()
                    draws.append(draw)
                    print(f"{run.name:<16} {setting.name:<8} apply {number + 1}: mouth "
                          f"{draw.mouth:.3f} ID {draw.identity:.3f} eyes {draw.eyes:.3f} "
                          f"({time.perf_counter() - started:.0f} s)", flush=True)  # fmt: skip
    described = "; ".join(f"{s.name}: {s.describe()}" for s in settings)
    print(f"{described}; goal mouth >= {GOAL_MOUTH}, ID >= {GOAL_ID}")
    for setting in settings:
        chosen = [d for d in draws if d.setting == setting.name]
        for run in args.runs:
            print(_summary(f"{run.name} {setting.name}", [d for d in chosen if d.run == run.name]))
        print(_summary(f"all runs {setting.name}", chosen))
    if len(settings) == 2:
        means = [statistics.mean(d.mouth for d in draws if d.setting == s.name) for s in settings]
        ids = [statistics.mean(d.identity for d in draws if d.setting == s.name) for s in settings]
        print(f"trial / default: mouth {means[1] / means[0]:.3f}x, ID {ids[1] / ids[0]:.3f}x")


if __name__ == "__main__":
    main()
