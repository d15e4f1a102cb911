"""Running the real CLI in a subprocess, and checking its one-line error contract."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def fauxlab(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fauxlab", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def fauxlab_at_home(
    home: Path, *args: str | Path, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """The CLI with its own FAUXLAB_HOME (keys, ledger) and a bare environment, so nothing
    of this machine's set-up leaks in; PYTHONPATH kept: the source under test."""
    env = {"FAUXLAB_HOME": str(home), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"}
    if "PYTHONPATH" in os.environ:
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return subprocess.run(
        [sys.executable, "-m", "fauxlab", *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )


def assert_clean_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    """Exit 2, one line on stderr starting with 'error:', no traceback."""
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
