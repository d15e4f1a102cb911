"""How many worker processes `fauxlab detect` starts when not told."""

from __future__ import annotations

import os

from fauxlab.detection.run import AUTO_JOBS, POOL_FROM, workers_for


def test_auto_jobs_pool_only_many_files() -> None:
    assert workers_for(AUTO_JOBS, POOL_FROM - 1) == 1, "a few files: no worker start-up"
    assert workers_for(AUTO_JOBS, POOL_FROM) == (os.cpu_count() or 1)
    assert workers_for(3, 2) == 3, "an explicit --jobs is kept (the pool caps it at the files)"
