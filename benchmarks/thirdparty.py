"""Detection on media nobody on this project made: the third-party development set.

    .venv/bin/python benchmarks/thirdparty.py [--data ../shared/data] [--out runs/thirdparty]
    .venv/bin/python benchmarks/thirdparty.py --from-json runs/thirdparty

Runs `fauxlab bench --json` on `thirdparty/images` and `thirdparty/videos` (never trained
on, never fitted on) and prints the BENCHMARKS.md rows: per scorer (fused, then each
detector alone) AUC, AP, accuracy at the default threshold, false-alarm rate on reals and
miss rate on fakes, each with its 95% bootstrap interval, then the per-source rows.
Baseline beside it: chance (AUC 0.5; the ratio is (AUC - 0.5) / 0.5).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from _common import data_argument

SETS = ("images", "videos")


def _run(data: Path, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    fauxlab = Path(sys.executable).with_name("fauxlab")
    for name in SETS:
        result = subprocess.run(
            [
                str(fauxlab),
                "bench",
                str(data / "thirdparty" / name),
                "--json",
                "--jobs",
                "1",
                "--out",
                str(out / name),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise SystemExit(f"bench on {name} failed: {result.stderr.strip()}")
        (out / f"{name}.json").write_text(result.stdout, encoding="utf-8")


def _cell(values: list[float]) -> str:
    value, low, high = values
    return f"{value:.2f} [{low:.2f}, {high:.2f}]"


def _print(name: str, report: dict[str, Any]) -> None:
    counts = report["counts"]
    print(f"\n{name}: {counts['real']} real, {counts['fake']} fake")
    print("| scorer | judged | AUC | AP | accuracy | false alarms | misses | vs chance |")
    print("|---|---|---|---|---|---|---|---|")
    for s in report["intervals"]["scorers"]:
        cells = [_cell(s[k]) for k in ("auc", "ap", "accuracy", "false_positive_rate", "miss_rate")]
        ratio = (s["auc"][0] - 0.5) / 0.5
        print(f"| {s['name']} | {s['judged']} | " + " | ".join(cells) + f" | {ratio:+.2f} |")
    if report.get("sources"):
        print("\n| source | n | mean P(fake) | accuracy | AUC vs all reals |")
        print("|---|---|---|---|---|")
        for g in report["sources"]:
            auc = "-" if g["auc_vs_real"] is None else f"{g['auc_vs_real']:.2f}"
            print(
                f"| {g['source']} | {g['n']} | {g['mean_score']:.2f} | {g['accuracy']:.2f} "
                f"| {auc} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    data_argument(parser)
    parser.add_argument("--out", type=Path, default=Path("runs/thirdparty"))
    parser.add_argument("--from-json", type=Path, help="format the JSON a run left here")
    args = parser.parse_args()
    folder = args.from_json or args.out
    if args.from_json is None:
        _run(Path(args.data), folder)
    for name in SETS:
        _print(name, json.loads((folder / f"{name}.json").read_text(encoding="utf-8")))


if __name__ == "__main__":
    main()
