"""What a server is configured with; one frozen value shared by every part of the app."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fauxlab.detection import DetectorRecipe
from fauxlab.provenance.context import Provenance

MB = 1024 * 1024
DEFAULT_MAX_UPLOAD = 200 * MB


@dataclass(frozen=True)
class ServeSettings:
    """`data_dir` holds the job database and uploads waiting to be analysed."""

    data_dir: Path
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD
    workers: int = 1  # analyses at once, each in its own process with its own models
    queue_size: int = 16  # analyses waiting beyond those running; more answer 429
    keyframes: int = 32
    recipe: DetectorRecipe = field(default_factory=DetectorRecipe)
    provenance: Provenance = field(default_factory=Provenance.default)

    @property
    def database(self) -> Path:
        return self.data_dir / "analyses.sqlite"

    @property
    def uploads(self) -> Path:
        return self.data_dir / "uploads"
