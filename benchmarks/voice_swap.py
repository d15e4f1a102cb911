"""The voice swap's goal (issue 27): outputs closer to the target speaker than to the
source, with the words still recognisable, on held-out and on training recordings.

    python benchmarks/voice_swap.py RUN [--out DIR] [--directions a2b,b2a]

For each direction (a -> b: every file of speaker a converted to b's voice, and b -> a)
the run's held-out file(s) and its training files are converted with `voice apply`'s
code (sealed, into a private ledger in DIR) and scored with `voice eval`'s. Printed per
direction and split: the share of 3 s segments (and of whole files) closer to the target
than to the source, mean cosines to both speakers' references, for the output and, as the
baselines beside it, for the input itself and for the input with only its pitch moved
(WORLD, no model); the recogniser's word error rate of the output against its own
transcript of the input, beside the same for plain WORLD resynthesis; MCD after DTW; the
voice detector's P(synthetic) for input and output.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from fauxlab.detection import available_detectors, detect_file
from fauxlab.provenance.context import Provenance
from fauxlab.synthesis.voice.swap.apply import apply_voice
from fauxlab.synthesis.voice.swap.convert import other
from fauxlab.synthesis.voice.swap.evaluate import References, evaluate
from fauxlab.synthesis.voice.swap.runfolder import load_run


def _score_files(run: Any, files: list[Path], to: str, folder: Path, refs: References,
                 provenance: Provenance) -> list[dict[str, Any]]:  # fmt: skip
    (detector,), _ = available_detectors(["voice"])
    rows = []
    for source in files:
        out = folder / f"{source.stem}-to-{to}.wav"
        apply_voice(run, source, out, to, provenance)
        scores = evaluate(run, source, out, to, refs)
        scores["naturalness"] = {
            name: detect_file(path, [detector]).detector_probability("voice")
            for name, path in (("input", source), ("output", out))
        }
        rows.append(scores)
    return rows


def _summary(rows: list[dict[str, Any]], to: str) -> dict[str, Any]:
    source = other(to)
    out: dict[str, Any] = {"files": len(rows), "segments": sum(r["segments"] for r in rows)}
    for side in ("output", "input_baseline", "pitch_only_baseline"):
        blocks = [r["speaker"][side] for r in rows]
        weights = [r["segments"] for r in rows]
        closer = sum(b["segments_closer_to_target"] for b in blocks)
        out[side] = {
            "segments_closer_to_target": f"{closer}/{sum(weights)}",
            "share_closer": round(closer / max(sum(weights), 1), 3),
            "files_closer_by_whole_file": sum(
                b[f"whole_file_cos_to_{to}"] > b[f"whole_file_cos_to_{source}"] for b in blocks
            ),
            f"mean_cos_to_{to}": round(statistics.fmean(b[f"cos_to_{to}"] for b in blocks), 3),
            f"mean_cos_to_{source}": round(
                statistics.fmean(b[f"cos_to_{source}"] for b in blocks), 3
            ),
        }
    content = [r["content"] for r in rows]
    wer = [c["wer_against_input_transcript"] for c in content]
    plain = [c["wer_world_resynthesis_baseline"] for c in content]
    out["wer_output_vs_input_transcript"] = round(
        statistics.fmean(w for w in wer if w is not None), 3
    )
    out["wer_world_resynthesis_baseline"] = round(
        statistics.fmean(w for w in plain if w is not None), 3
    )
    out["mcd_db"] = round(statistics.fmean(c["mcd_db_after_dtw"] for c in content), 2)
    for name in ("input", "output"):
        values = [r["naturalness"][name] for r in rows if r["naturalness"][name] is not None]
        out[f"voice_detector_p_{name}"] = round(statistics.fmean(values), 3) if values else None
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--out", type=Path, default=None, help="keep outputs here (new folder)")
    parser.add_argument("--directions", default="a2b,b2a")
    args = parser.parse_args()
    started = time.perf_counter()
    run = load_run(args.run)
    refs = References.of(run)
    folder = args.out or Path(tempfile.mkdtemp(prefix="voice-swap-bench-"))
    folder.mkdir(parents=True, exist_ok=args.out is None)
    provenance = Provenance.default(folder / "ledger.sqlite")
    report: dict[str, Any] = {"run": str(args.run), "step": run.step, "outputs": str(folder)}
    details = []
    for direction in args.directions.split(","):
        source, to = direction[0], direction[-1]
        speaker = run.info.speaker(source)
        for split in ("held_out", "train"):
            files = [Path(p) for p in speaker[split]]
            rows = _score_files(run, files, to, folder, refs, provenance)
            details.extend(rows)
            report[f"{source}->{to} {split}"] = _summary(rows, to)
    report["seconds"] = round(time.perf_counter() - started)
    (folder / "details.json").write_text(json.dumps(details, indent=2))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
