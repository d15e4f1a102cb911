"""Scanning at scale: `fauxlab scan` runs detection over many files, on this machine or
on a Ray cluster, and keeps one `fauxlab.detect/1` record per file (JSONL and Parquet),
resumable and exactly once (docs/scan.md).

Ray and pyarrow come with the `scale` extra (`pip install 'fauxlab[scale]'`); they are
imported only when a scan needs them.
"""

from __future__ import annotations

from fauxlab.scan.inputs import find_inputs
from fauxlab.scan.record import file_key, scan_record
from fauxlab.scan.results import ResultSink
from fauxlab.scan.run import ENGINES, Engine, ScanSettings, ScanSummary, scan

__all__ = [
    "ENGINES",
    "Engine",
    "ResultSink",
    "ScanSettings",
    "ScanSummary",
    "file_key",
    "find_inputs",
    "scan",
    "scan_record",
]
