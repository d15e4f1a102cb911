"""What a server is configured with; one frozen value shared by every part of the app."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from fauxlab.detection import DetectorRecipe
from fauxlab.media.images import DEFAULT_MAX_PIXELS
from fauxlab.provenance.context import Provenance

MB = 1024 * 1024
DEFAULT_MAX_UPLOAD = 200 * MB
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


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
    # What one job may cost: memory a worker may map beyond its loaded models (0: no
    # limit), wall-clock seconds, pixels per frame, and a video's length.
    worker_memory_mb: int = 3072
    job_timeout_s: float = 600.0
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_video_seconds: float = 1800.0
    # Uploads: a body that sends nothing for this long is cut off, and so is one that
    # takes longer than the whole limit.
    upload_idle_s: float = 30.0
    upload_total_s: float = 900.0
    keep_days: float = 30.0  # analyses (results, thumbnails, figures) kept this long
    # Host names the server answers to (DNS rebinding), and so the origins it takes
    # uploads from (cross-site requests).
    allowed_hosts: tuple[str, ...] = LOOPBACK_NAMES
    # API keys, SHA-256 hex to name: when there are any, every /api/ route but health and
    # the docs needs one as a bearer token, and each analysis is seen only by its key.
    api_keys: tuple[tuple[str, str], ...] = ()  # (hash, name) pairs
    rate_limit: int = 0  # requests per minute per key (0: no limit)

    @property
    def max_video_frames(self) -> int:
        return int(self.max_video_seconds * 120)  # 120 fps at the longest duration allowed

    @property
    def database(self) -> Path:
        return self.data_dir / "analyses.sqlite"

    @property
    def uploads(self) -> Path:
        return self.data_dir / "uploads"
