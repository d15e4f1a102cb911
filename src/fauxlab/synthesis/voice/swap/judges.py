"""The outside judges `voice eval` leans on, loaded only when asked: resemblyzer's shipped
speaker encoder (GE2E, Wan et al. 2018; its `pretrained.pt` is inside the wheel) and
pocketsphinx's shipped US English recogniser. Both run offline; both come with the
`voice-eval` extra, and without it `voice eval` says so in one line."""

from __future__ import annotations

import warnings
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from fauxlab.errors import InputError

RATE = 16_000
MISSING = "voice eval needs resemblyzer and pocketsphinx: pip install 'fauxlab[voice-eval]'"


@cache
def _resemblyzer() -> Any:
    try:
        with warnings.catch_warnings():  # webrtcvad's pkg_resources deprecation notice
            warnings.simplefilter("ignore", UserWarning)
            import resemblyzer
    except ImportError as exc:
        raise InputError(MISSING) from exc
    return resemblyzer


@cache
def _speaker_encoder() -> Any:
    return _resemblyzer().VoiceEncoder("cpu", verbose=False)


def speaker_embedding(samples: NDArray[np.float32]) -> NDArray[np.float64]:
    """A unit-length 256-D speaker embedding of mono `samples` at 16 kHz (silences longer
    than resemblyzer's VAD allows are trimmed first, as its authors do)."""
    wav = _resemblyzer().preprocess_wav(np.asarray(samples, np.float32), source_sr=RATE)
    if len(wav) < RATE // 2:  # VAD kept almost nothing: embed the sound as it is
        wav = np.asarray(samples, np.float32)
    embedding = np.asarray(_speaker_encoder().embed_utterance(wav), np.float64)
    out: NDArray[np.float64] = embedding / max(float(np.linalg.norm(embedding)), 1e-12)
    return out


@cache
def _recogniser() -> Any:
    try:
        from pocketsphinx import Decoder
    except ImportError as exc:
        raise InputError(MISSING) from exc
    return Decoder(samprate=RATE, loglevel="FATAL")


def transcript(samples: NDArray[np.float32]) -> str:
    """pocketsphinx's words for mono `samples` at 16 kHz, lower case."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    decoder = _recogniser()
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return str(hyp.hypstr).lower() if hyp is not None else ""


def word_error_rate(reference: str, hypothesis: str) -> float | None:
    """Word-level Levenshtein distance over the reference's length (None: no reference)."""
    ref, hyp = reference.split(), hypothesis.split()
    if not ref:
        return None
    row = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, 1):
        previous, row[0] = row[0], i
        for j, other in enumerate(hyp, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (word != other))
    return row[-1] / len(ref)
