"""Debian's Chromium, driven by Playwright, for the browser tests.

Where /usr/bin/chromium is missing the tests are skipped locally and fail under CI
(FAUXLAB_REQUIRE_BROWSER=1, set by .ci/run, which installs Chromium first).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("FAUXLAB_CHROMIUM", "/usr/bin/chromium"))
# Flags this closed network needs (no background connections, no sandbox as root).
FLAGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists() or shutil.which(str(CHROMIUM)) is None:
        if os.environ.get("FAUXLAB_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing; install Debian's chromium (make browser)")
        pytest.skip(f"{CHROMIUM} not installed (make browser installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()
