"""`voice eval`: did the swap change who speaks and keep what is said?

- speaker: resemblyzer embeddings of the input and the output, cut into SEGMENT_SECONDS
  pieces, against each speaker's reference (the mean embedding of that speaker's
  training files); a piece counts as "closer to the target" when its cosine to the
  target's reference beats its cosine to the source's. The input's own numbers are
  reported beside the output's as the baseline.
- content: pocketsphinx's transcript of the output scored against its transcript of the
  input (word error rate; there are no ground-truth transcripts, so this is agreement
  with the recogniser on the original), and the mel-cepstral distortion between input
  and output after dynamic time warping (a secondary number: it also grows with the
  change of voice that is the point of the swap).
- baselines: the input itself (speaker), the input through WORLD with only its pitch
  moved to the target's range (speaker: what the model adds beyond pitch), and the input
  through WORLD unchanged (words: how much the recogniser stumbles on any vocoding).
The naturalness proxy (the voice detector's probability) is added by the command line,
which may import detection (synthesis may not).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.fft import dct

from fauxlab.errors import InputError
from fauxlab.synthesis.voice.swap import judges
from fauxlab.synthesis.voice.swap.convert import other, resynthesised
from fauxlab.synthesis.voice.swap.data import read_speech
from fauxlab.synthesis.voice.swap.features import RATE, MelEnvelope, analyse
from fauxlab.synthesis.voice.swap.runfolder import LoadedRun

SEGMENT_SECONDS = 3.0  # resemblyzer's partial utterances are 1.6 s; two fit in a piece
MIN_LAST_SECONDS = 1.6  # a shorter tail joins the piece before it
CEPSTRA = 24  # mel-cepstral coefficients 1..24 in the distortion (c0, the level, left out)
SPEECH_DB = 40.0  # frames within this many dB of the loudest count as speech for MCD

Samples = NDArray[np.float32]


def segments(samples: Samples) -> list[tuple[int, int]]:
    """Sample ranges of SEGMENT_SECONDS pieces covering `samples`."""
    size, total = int(SEGMENT_SECONDS * RATE), len(samples)
    starts = list(range(0, max(total - int(MIN_LAST_SECONDS * RATE), 0) + 1, size)) or [0]
    ends = [*starts[1:], total]
    return list(zip(starts, ends, strict=True))


@dataclass(frozen=True)
class References:
    """Each speaker's reference embedding: the normalised mean over its training files."""

    embeddings: dict[str, NDArray[np.float64]]

    @classmethod
    def of(cls, run: LoadedRun) -> References:
        out = {}
        for name in ("a", "b"):
            vectors = [
                judges.speaker_embedding(read_speech(Path(p)))
                for p in run.info.speaker(name)["train"]
            ]
            mean = np.mean(vectors, axis=0)
            out[name] = mean / max(float(np.linalg.norm(mean)), 1e-12)
        return cls(out)


def _speaker_scores(samples: Samples, refs: References, target: str) -> dict[str, Any]:
    source = other(target)
    pieces = [judges.speaker_embedding(samples[a:b]) for a, b in segments(samples)]
    to_target = np.array([float(p @ refs.embeddings[target]) for p in pieces])
    to_source = np.array([float(p @ refs.embeddings[source]) for p in pieces])
    whole = judges.speaker_embedding(samples)
    return {
        f"cos_to_{target}": round(float(to_target.mean()), 4),
        f"cos_to_{source}": round(float(to_source.mean()), 4),
        "closer_to_target": round(float((to_target > to_source).mean()), 4),
        "segments_closer_to_target": int((to_target > to_source).sum()),
        f"whole_file_cos_to_{target}": round(float(whole @ refs.embeddings[target]), 4),
        f"whole_file_cos_to_{source}": round(float(whole @ refs.embeddings[source]), 4),
    }


def mel_cepstra(samples: Samples) -> NDArray[np.float64]:
    """Mel-cepstra 1..CEPSTRA of the WORLD envelope (log amplitude), speech frames only.
    Scaled so that a log-amplitude curve sum_m c_m cos(m w) has coefficients c_m, the
    convention of mel-cepstral distortion."""
    mel = 0.5 * MelEnvelope().to_mel(analyse(samples).envelope)  # log power -> amplitude
    level = mel.max(axis=1)
    loud = level >= level.max() - SPEECH_DB * np.log(10) / 20
    coefficients = dct(mel[loud], type=2, axis=1) / (2 * mel.shape[1])
    return np.asarray(coefficients[:, 1 : CEPSTRA + 1], np.float64)


def mcd_after_dtw(reference: Samples, test: Samples) -> float:
    """Mean mel-cepstral distortion (dB) along the cheapest alignment of the two."""
    import librosa  # a dependency of resemblyzer (the voice-eval extra)

    x, y = mel_cepstra(reference), mel_cepstra(test)
    if len(x) == 0 or len(y) == 0:
        raise InputError("no speech frames to compare for the mel-cepstral distortion")
    _, path = librosa.sequence.dtw(X=x.T, Y=y.T, metric="euclidean")
    diff = x[path[:, 0]] - y[path[:, 1]]
    per_frame = (10.0 / np.log(10.0)) * np.sqrt(2.0 * (diff**2).sum(axis=1))
    return float(per_frame.mean())


def evaluate(
    run: LoadedRun, source: Path, swapped: Path, to: str, refs: References | None = None
) -> dict[str, Any]:
    """Speaker and content scores of `swapped` (made from `source` towards `to`);
    `refs` saves recomputing the speakers' references when scoring many files."""
    other(to)
    original, output = read_speech(source), read_speech(swapped)
    refs = refs or References.of(run)
    said, heard = judges.transcript(original), judges.transcript(output)
    plain = judges.transcript(resynthesised(original))
    resolved = str(source.resolve())
    return {
        "run": str(run.folder),
        "step": run.step,
        "to": to,
        "input": str(source),
        "output": str(swapped),
        "input_was_trained_on": resolved in run.info.speaker(other(to))["train"],
        "input_is_held_out": resolved in run.info.speaker(other(to))["held_out"],
        "segment_seconds": SEGMENT_SECONDS,
        "segments": len(segments(output)),
        "speaker": {
            "judge": "resemblyzer 0.1.4 speaker encoder (GE2E, shipped weights)",
            "reference": "mean embedding of each speaker's training files",
            "output": _speaker_scores(output, refs, to),
            "input_baseline": _speaker_scores(original, refs, to),
            "pitch_only_baseline": _speaker_scores(resynthesised(original, run, to), refs, to),
        },
        "content": {
            "judge": "pocketsphinx en-us (shipped model); no ground-truth transcripts",
            "input_transcript": said,
            "output_transcript": heard,
            "wer_against_input_transcript": judges.word_error_rate(said, heard),
            "mcd_db_after_dtw": round(mcd_after_dtw(original, output), 3),
            "world_resynthesis_transcript": plain,
            "wer_world_resynthesis_baseline": judges.word_error_rate(said, plain),
        },
    }
