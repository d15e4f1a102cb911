"""The error-correcting code: a K=7, rate-1/3 convolutional code with soft Viterbi decoding.

The generators are LTE's (octal 133, 171, 165). The 32 payload bits are followed by six
zero tail bits so the trellis ends in state 0, which makes 114 coded bits. The decoder
maximises the correlation between the received soft values and a codeword, which is the
same quantity the detection statistic is built on (see `_detect`).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

_GENERATORS = (0o133, 0o171, 0o165)
_MEMORY = 6
_STATES = 1 << _MEMORY
RATE = len(_GENERATORS)


def _branch_bits() -> NDArray[np.int8]:
    """bits[state, input, r]: the r-th output bit leaving `state` on `input`; the state
    holds the last six inputs, the newest in its top bit."""
    bits = np.zeros((_STATES, 2, RATE), dtype=np.int8)
    for state in range(_STATES):
        for bit in range(2):
            register = (bit << _MEMORY) | state
            for r, generator in enumerate(_GENERATORS):
                bits[state, bit, r] = (register & generator).bit_count() & 1
    return bits


_BITS = _branch_bits()
_SIGNS = (1.0 - 2.0 * _BITS).astype(np.float64)  # bit 0 -> +1, bit 1 -> -1
_NEXT = np.arange(_STATES)
_PREV0 = (_NEXT & (_STATES // 2 - 1)) << 1  # the two states that lead into each state
_PREV1 = _PREV0 | 1
_INPUT = _NEXT >> (_MEMORY - 1)  # the input bit that enters each state


def coded_length(message_bits: int) -> int:
    return (message_bits + _MEMORY) * RATE


def encode(message: NDArray[np.int8]) -> NDArray[np.int8]:
    """Message bits (0/1) to coded bits (0/1), tail included."""
    coded: NDArray[np.int8] = encode_batch(message[None])[0]
    return coded


def encode_batch(messages: NDArray[np.int8]) -> NDArray[np.int8]:
    """(B, bits) messages to (B, coded) coded bits, all at once."""
    count, bits = messages.shape
    state = np.zeros(count, dtype=np.intp)
    inputs = np.concatenate([messages, np.zeros((count, _MEMORY), dtype=np.int8)], axis=1)
    out = np.empty((count, coded_length(bits)), dtype=np.int8)
    for t in range(bits + _MEMORY):
        bit = inputs[:, t].astype(np.intp)
        out[:, t * RATE : (t + 1) * RATE] = _BITS[state, bit]
        state = ((bit << _MEMORY) | state) >> 1
    return out


def decode(soft: NDArray[np.float64], message_bits: int) -> NDArray[np.int8]:
    """Maximum-likelihood message for soft values (positive favours a 0 bit)."""
    message: NDArray[np.int8] = decode_batch(soft[None], message_bits)[0]
    return message


def decode_batch(soft: NDArray[np.float64], message_bits: int) -> NDArray[np.int8]:
    """Viterbi over the tail-terminated trellis for (B, coded) soft values at once: for
    each row, the codeword with the largest correlation, as (B, message_bits)."""
    count, steps = len(soft), message_bits + _MEMORY
    received = soft.reshape(count, steps, RATE)
    branch = np.einsum("sbr,ntr->ntsb", _SIGNS, received)  # metric of each branch, each step
    into0, into1 = branch[:, :, _PREV0, _INPUT], branch[:, :, _PREV1, _INPUT]
    metric = np.full((count, _STATES), -np.inf)
    metric[:, 0] = 0.0
    choice = np.zeros((steps, count, _STATES), dtype=bool)
    for t in range(steps):
        via0 = metric[:, _PREV0] + into0[:, t]
        via1 = metric[:, _PREV1] + into1[:, t]
        choice[t] = via1 > via0
        metric = np.where(choice[t], via1, via0)
    messages = np.zeros((count, steps), dtype=np.int8)
    state = np.zeros(count, dtype=np.intp)
    rows = np.arange(count)
    for t in range(steps - 1, -1, -1):
        messages[:, t] = state >> (_MEMORY - 1)
        state = np.where(choice[t, rows, state], _PREV1[state], _PREV0[state])
    return messages[:, :message_bits]
