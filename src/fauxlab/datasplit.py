"""One rule for which files are held out, shared by every trainer and evaluation.

Files are ranked by the SHA-256 of their name and the first `count` are held out. A
split by position in name order would be biased wherever names carry meaning (UTKFace
names start with the age: its last 1000 files are all children and people over 70);
the hash spreads the held-out set evenly, stays fixed as long as the names do, and
nests: the 968 held out of a folder are among the 1000 held out of it, so a detector's
validation faces are never seen by a generator held out the same way.
"""

from __future__ import annotations

import csv
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from fauxlab.errors import SettingError


def _rank(path: Path) -> str:
    return hashlib.sha256(path.name.encode()).hexdigest()


def split_held_out(files: list[Path], count: int) -> tuple[list[Path], list[Path]]:
    """(training, held-out), each in the order given."""
    held = set(sorted(files, key=_rank)[:count]) if count > 0 else set()
    return [f for f in files if f not in held], [f for f in files if f in held]


# --- what each shipped model trained on ------------------------------------------------
#
# Each shipped model has a manifest beside its weights (`NAME.training.json`): the folders
# of the shared data it trained on (relative to the data root), how each was split, and
# the number of training files and a digest of their names, so that the list can be
# rebuilt from the data and checked. Evaluations take their files from `held_out_files`,
# and a test checks that no evaluation file is in any model's training list.

MEDIA_SUFFIXES = frozenset(
    {".jpg", ".jpeg", ".png", ".webp", ".bmp", ".mp4", ".mkv", ".webm", ".flac", ".wav"}
)
SPEAKER_MANIFEST = "manifest.csv"  # a speech folder's `file` and `speakers` columns


def speaker_groups(folder: Path) -> dict[str, str]:
    """File name -> its speaker group: files that share a speaker (by the `speakers`
    column of the folder's manifest.csv, space-separated ids) are in one group, joined
    transitively, so a meeting and a talk by one of its participants fall together."""
    rows = list(csv.DictReader((folder / SPEAKER_MANIFEST).open(encoding="utf-8")))
    parent: dict[str, str] = {}

    def root(item: str) -> str:
        while parent.setdefault(item, item) != item:
            item = parent[item]
        return item

    for row in rows:
        tokens = [f"file:{row['file']}", *(f"spk:{t}" for t in row["speakers"].split())]
        for token in tokens[1:]:
            parent[root(token)] = root(tokens[0])
    members: dict[str, list[str]] = {}
    for row in rows:
        members.setdefault(root(f"file:{row['file']}"), []).append(row["file"])
    return {name: min(files) for files in members.values() for name in files}


def split_by_speaker(
    files: list[Path], groups: dict[str, str], fraction: float
) -> tuple[list[Path], list[Path]]:
    """(training, held-out): whole speaker groups, ranked by the SHA-256 of the group's
    name, are held out until at least `fraction` of the files are; a file with no
    group is its own."""
    by_group: dict[str, list[Path]] = {}
    for f in files:
        by_group.setdefault(groups.get(f.name, f.name), []).append(f)
    held: set[Path] = set()
    for name in sorted(by_group, key=lambda g: hashlib.sha256(g.encode()).hexdigest()):
        if len(held) >= fraction * len(files):
            break
        held.update(by_group[name])
    return [f for f in files if f not in held], [f for f in files if f in held]


@dataclass(frozen=True)
class Source:
    """One folder a model trained on: all of its media files but the held-out ones and
    those named in `exclude` (which were kept out for another evaluation)."""

    folder: str  # relative to the data root, e.g. "faces/utkface"
    holdout: int = 0  # files held out by the hash rule, or
    holdout_fraction: float = 0.0  # this share of the folder's files
    exclude: tuple[str, ...] = ()
    by_speaker: bool = False  # hold out whole speakers (speaker_groups) instead of files

    def files(self, root: Path) -> list[Path]:
        folder = root / self.folder
        return sorted(
            p
            for p in folder.rglob("*")
            if p.suffix.lower() in MEDIA_SUFFIXES and p.name not in self.exclude
        )

    def held_count(self, total: int) -> int:
        if self.holdout_fraction:
            return round(total * self.holdout_fraction)
        return min(self.holdout, total // 5) if self.holdout else 0

    def split(self, root: Path) -> tuple[list[Path], list[Path]]:
        files = self.files(root)
        if self.by_speaker:
            groups = speaker_groups(root / self.folder)
            return split_by_speaker(files, groups, self.holdout_fraction)
        return split_held_out(files, self.held_count(len(files)))


@dataclass(frozen=True)
class Manifest:
    """What one shipped model trained on."""

    model: str
    sources: tuple[Source, ...]
    training_files: int
    digest: str  # SHA-256 of the sorted training file names relative to the data root

    def training(self, root: Path) -> list[Path]:
        return [f for s in self.sources for f in s.split(root)[0]]


def names_digest(files: list[Path], root: Path) -> str:
    names = sorted(str(f.relative_to(root)) for f in files)
    return hashlib.sha256("\n".join(names).encode()).hexdigest()


def read_manifest(path: Path) -> Manifest:
    raw = json.loads(path.read_text(encoding="utf-8"))
    sources = tuple(
        Source(
            s["folder"],
            s.get("holdout", 0),
            s.get("holdout_fraction", 0.0),
            tuple(s.get("exclude", ())),
            bool(s.get("by_speaker", False)),
        )
        for s in raw["sources"]
    )
    return Manifest(raw["model"], sources, raw["training_files"], raw["digest"])


def shipped_manifests() -> list[Path]:
    """The training manifests of every model in the package."""
    assets = Path(__file__).resolve().parent / "assets"
    return sorted(assets.rglob("*.training.json"))


# The evaluation sets every benchmark and test reports on: held out by every model.
UTKFACE_EVAL = Source("faces/utkface", holdout_fraction=0.1)  # nested in the 1000 of the GANs
VIDEO_EVAL_EXCLUDED = ("liveportrait-d6.mp4", "liveportrait-d9.mp4")
VIDEOS = Source("videos", holdout_fraction=0.1, exclude=VIDEO_EVAL_EXCLUDED)


def held_out_faces(root: Path) -> list[Path]:
    """UTKFace files no shipped model trained on."""
    return UTKFACE_EVAL.split(root)[1]


def held_out_videos(root: Path) -> list[Path]:
    """Shared real clips no shipped model trained on: the two kept out for the face-swap
    evaluation, and the learned detector's held-out share of the rest."""
    kept_out = [root / "videos" / name for name in VIDEO_EVAL_EXCLUDED]
    return sorted([p for p in kept_out if p.is_file()] + VIDEOS.split(root)[1])


ANIME_EVAL = Source("anime-faces", holdout=1000)
# a quarter of the files, by whole speakers, never trained on by the voice detector
SPEECH = Source("speech", holdout_fraction=0.25, by_speaker=True)


def held_out_speech(root: Path) -> list[Path]:
    """Real speech whose speakers no shipped model trained on."""
    return SPEECH.split(root)[1]


def held_out_anime(root: Path) -> list[Path]:
    """Anime faces no shipped model trained on."""
    return ANIME_EVAL.split(root)[1]


def split_files(files: list[Path], holdout: int) -> tuple[list[Path], list[Path]]:
    """(training, held-out): `holdout` files, chosen by `split_held_out`, are never
    trained on, so the metrics compare a model with images it has not seen."""
    if holdout < 0:
        raise SettingError(f"`holdout` must be 0 or more, got {holdout}", settings=["holdout"])
    if holdout and holdout >= len(files):
        raise SettingError(
            f"`holdout` {holdout} leaves no training images of {len(files)}", settings=["holdout"]
        )
    return split_held_out(files, holdout)
