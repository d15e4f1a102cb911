"""Shared fixtures: where the real media lives, and a few picks from it.

The shared data folder is never copied into the repository; tests read it in place and
write whatever they derive from it under `tmp_path`. Set FAUXLAB_DATA to point at it;
by default it is `../shared/data` next to the repository.

With FAUXLAB_REQUIRE_DATA=1 (CI sets it: CI has ../shared) a test that skips for any
reason but a missing browser fails instead, so a missing data folder cannot pass quietly.
FAUXLAB_REQUIRE_POSTGRES=1 (CI sets it too) makes missing PostgreSQL binaries a failure.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest
from numpy.typing import NDArray

from ledger_locations import BACKENDS, LedgerLocations, locations_for
from postgres_server import MISSING, PostgresServer, start_server

REPO_ROOT = Path(__file__).resolve().parents[1]
REQUIRE_DATA = os.environ.get("FAUXLAB_REQUIRE_DATA") == "1"
REQUIRE_POSTGRES = os.environ.get("FAUXLAB_REQUIRE_POSTGRES") == "1"
DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data"

# Short clips first, so the tests stay quick; the last ones are fallbacks.
_WITH_AUDIO = ("voxceleb-1.mp4", "voxceleb-2.mp4", "hdtf-1.mp4", "liveportrait-d6.mp4")
_WITHOUT_AUDIO = ("liveportrait-d0.mp4", "liveportrait-d13.mp4")


def _has_audio(path: Path) -> bool:
    with av.open(str(path)) as container:
        return bool(container.streams.audio)


def _pick_video(folder: Path, preferred: tuple[str, ...], audio: bool) -> Path | None:
    names = [*preferred, *sorted(p.name for p in folder.glob("*.mp4") if p.name not in preferred)]
    for name in names:
        path = folder / name
        if path.is_file() and _has_audio(path) == audio:
            return path
    return None


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The read-only shared data folder (FAUXLAB_DATA, default ../shared/data)."""
    folder = Path(os.environ.get("FAUXLAB_DATA", DEFAULT_DATA)).expanduser()
    if not folder.is_dir():
        pytest.skip(f"shared data folder {folder} not found; set FAUXLAB_DATA to point at it")
    return folder


@pytest.fixture(scope="session")
def shared_videos(shared_data: Path) -> Path:
    folder = shared_data / "videos"
    if not any(folder.glob("*.mp4")):
        pytest.skip(f"no .mp4 videos in {folder}")
    return folder


@pytest.fixture(scope="session")
def video_with_audio(shared_videos: Path) -> Path:
    """A short real talking-head clip with an AAC sound track."""
    path = _pick_video(shared_videos, _WITH_AUDIO, audio=True)
    if path is None:
        pytest.skip(f"no video with audio in {shared_videos}")
    return path


@pytest.fixture(scope="session")
def video_without_audio(shared_videos: Path) -> Path:
    """A real clip with no audio stream at all."""
    path = _pick_video(shared_videos, _WITHOUT_AUDIO, audio=False)
    if path is None:
        pytest.skip(f"no video without audio in {shared_videos}")
    return path


@pytest.fixture(scope="session")
def shared_speech(shared_data: Path) -> Path:
    """Real speech, 16 kHz mono FLAC (read-only; never copied into the repository)."""
    folder = shared_data / "speech"
    if not any(folder.glob("*.flac")):
        pytest.skip(f"no .flac speech in {folder}")
    return folder


@pytest.fixture(scope="session")
def speech_file(shared_speech: Path) -> Path:
    """One real LibriSpeech utterance, about 14 s of clean read speech."""
    return sorted(shared_speech.glob("librispeech_*.flac"))[0]


@pytest.fixture(scope="session")
def astronaut() -> NDArray[np.uint8]:
    """skimage's 512x512 RGB astronaut, an image we may ship."""
    from skimage import data

    image: NDArray[np.uint8] = data.astronaut()
    return image


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One throwaway PostgreSQL server for the session (per xdist worker)."""
    server = start_server()
    if server is None:
        if REQUIRE_POSTGRES:
            pytest.fail(f"FAUXLAB_REQUIRE_POSTGRES=1, but {MISSING}")
        pytest.skip(MISSING)
    yield server
    server.stop()


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """The URL of a new, empty database on the session's server."""
    return postgres_server.new_database()


@pytest.fixture(params=BACKENDS)
def new_ledger_location(request: pytest.FixtureRequest, tmp_path: Path) -> LedgerLocations:
    """Makes new ledger locations, once per backend (the test runs on each)."""
    return locations_for(request.param, tmp_path, request)


@pytest.fixture
def ledger_location(new_ledger_location: LedgerLocations) -> Path | str:
    """Where a test's ledger lives, once per backend: a new file, or a new database."""
    return new_ledger_location()


@pytest.fixture(scope="session", autouse=True)
def private_fauxlab_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Keys and ledgers made by tests go to a temporary home, never the user's real one
    (subprocesses inherit it through the environment)."""
    home = tmp_path_factory.mktemp("fauxlab-home")
    previous = os.environ.get("FAUXLAB_HOME")
    os.environ["FAUXLAB_HOME"] = str(home)
    yield home
    if previous is None:
        os.environ.pop("FAUXLAB_HOME", None)
    else:
        os.environ["FAUXLAB_HOME"] = previous


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under FAUXLAB_REQUIRE_DATA=1 a skip is a failure (the browser has its own switch)."""
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    if REQUIRE_DATA and report.skipped and "chromium" not in str(report.longrepr).lower():
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"FAUXLAB_REQUIRE_DATA=1, but the test skipped: {reason}"
