"""API keys for a server others can reach: a file of names and SHA-256 hashes (never the
keys themselves), the bearer-token check, and a per-key token-bucket rate limit."""

from __future__ import annotations

import hashlib
import math
import os
import re
import secrets
import threading
import time
from pathlib import Path

from fauxlab.errors import InputError

NAME = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")


def key_hash(key: str) -> str:
    """What the keys file and the job database hold in place of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def load_keys(path: Path, allow_empty: bool = False) -> dict[str, str]:
    """Hash to name, from a file of `NAME SHA256HEX` lines (# comments allowed)."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the keys file ({exc.strerror or exc})") from exc
    keys: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split()
        if len(parts) != 2 or not NAME.match(parts[0]) or not HEX64.match(parts[1]):
            raise InputError(
                f"{path}:{number}: expected 'NAME SHA256HEX'; create keys with "
                "`fauxlab serve-keys add NAME --keys FILE`"
            )
        keys[parts[1]] = parts[0]
    if not keys and not allow_empty:
        raise InputError(f"{path}: no keys; add one with `fauxlab serve-keys add NAME --keys FILE`")
    return keys


def add_key(path: Path, name: str) -> str:
    """A new random key for `name`, its hash appended to `path`; the key is returned once."""
    if not NAME.match(name):
        raise InputError(f"{name!r}: a key name is 1-64 letters, digits, '_', '.', '@' or '-'")
    existing = load_keys(path, allow_empty=True).values() if path.exists() else ()
    if name in existing:
        raise InputError(f"{path}: a key named {name!r} exists; choose another name")
    key = secrets.token_urlsafe(32)
    try:
        handle = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(handle, "a") as out:
            out.write(f"{name} {key_hash(key)}\n")
    except OSError as exc:
        raise InputError(f"{path}: cannot write the keys file ({exc.strerror or exc})") from exc
    return key


class RateLimiter:
    """`per_minute` requests per key, refilled smoothly (a token bucket of that size)."""

    def __init__(self, per_minute: int) -> None:
        self.size = float(per_minute)
        self.rate = per_minute / 60.0
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> int:
        """0 when the request may go ahead, else the seconds to wait (for Retry-After)."""
        now = time.monotonic()
        with self._lock:
            tokens, then = self._buckets.get(key, (self.size, now))
            tokens = min(self.size, tokens + (now - then) * self.rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0
            self._buckets[key] = (tokens, now)
        return max(1, math.ceil((1 - tokens) / self.rate))
