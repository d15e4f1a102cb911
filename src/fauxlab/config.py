"""Where fauxlab keeps per-user state: signing keys and the default ledger.

`FAUXLAB_HOME` wins; else `$XDG_CONFIG_HOME/fauxlab`; else `~/.config/fauxlab`. Never the
repository: keys made here must not end up in anyone's commit.
"""

from __future__ import annotations

import os
from pathlib import Path


def fauxlab_home() -> Path:
    explicit = os.environ.get("FAUXLAB_HOME")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".config"
    return base / "fauxlab"


def private_dir(path: Path) -> Path:
    """Create `path` (mode 0700) if needed and return it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path
