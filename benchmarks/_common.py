"""What every benchmark shares: where the shared data lives."""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def data_argument(parser: argparse.ArgumentParser) -> None:
    """`--data`: FAUXLAB_DATA, else ../shared/data beside the repository."""
    default = Path(os.environ.get("FAUXLAB_DATA", Path(__file__).parents[1] / "../shared/data"))
    parser.add_argument("--data", type=Path, default=default, help="the shared data folder")
