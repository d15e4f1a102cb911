"""swap train -> apply -> eval on real faces: ~110 crops each of two shared clips, 64 px."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
import torch

from fauxlab.errors import InputError, ModelError, NoFaceError, OutputExistsError
from fauxlab.faces import ExtractSettings, extract_faces
from fauxlab.media import Sampling, VideoWriter, iter_frames, probe_video, write_image
from fauxlab.provenance.context import Provenance
from fauxlab.provenance.verify import verify_file
from fauxlab.synthesis.faceswap import evaluate as evaluate_module
from fauxlab.synthesis.faceswap.config import TrainConfig
from fauxlab.synthesis.faceswap.convert import Swapper, apply_swap
from fauxlab.synthesis.faceswap.coverage import coverage_warnings, mouth_range
from fauxlab.synthesis.faceswap.data import load_faceset
from fauxlab.synthesis.faceswap.evaluate import crop_swap_scores, evaluate
from fauxlab.synthesis.faceswap.runfolder import RUN_FILE, load_run, read_run_info
from fauxlab.synthesis.faceswap.train import train
from fauxlab.synthesis.faceswap.trainer import SwapTrainer
from fauxlab.training import load_checkpoint, load_weights

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def folders(shared_videos: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("swap-faces")
    settings = ExtractSettings(size=64, max_faces=1)
    out = []
    for name in ("voxceleb-1", "voxceleb-2"):
        video = shared_videos / f"{name}.mp4"
        if not video.is_file():
            pytest.skip(f"{video} not found")
        extract_faces([video], root / name, settings, Sampling.parse("count:110"))
        out.append(root / name)
    return out[0], out[1]


@pytest.fixture(scope="module")
def run(folders: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("swap-run") / "run"
    config = TrainConfig(batch=4, preview_every=2, seed=1, guide="expression")
    summary = train(*folders, folder, config, steps=2)
    assert summary.step == 2 and len(summary.previews) == 1
    return folder


def _clip(source: Path, out: Path, fps: float | None = None, seconds: float = 1.0) -> Path:
    """The first `seconds` of `source` with its sound; with `fps`, resampled to that rate
    as a re-encode would: each tick shows the first source frame at or after it."""
    tick, start = 0, None
    with VideoWriter(out, fps or probe_video(source).fps, audio_from=source) as writer:
        for frame in iter_frames(source):
            start = frame.time if start is None else start
            if frame.time - start >= seconds:
                break
            if fps is None:
                writer.write(frame.image, frame.time)
            elif frame.time >= start + tick / fps - 1e-6:
                writer.write(frame.image, start + tick / fps)
                tick += 1
    return out


@pytest.fixture(scope="module")
def short_clip(shared_videos: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first second of a clip with sound, re-encoded with its audio."""
    return _clip(shared_videos / "voxceleb-1.mp4", tmp_path_factory.mktemp("clip") / "clip.mp4")


def _streams(path: Path) -> dict[str, float]:
    """Start and duration (s) of the audio stream and sample rate, read from the container."""
    with av.open(str(path)) as container:
        audio = container.streams.audio[0]
        base = audio.time_base or Fraction(1, audio.sample_rate)
        return {
            "audio_start": float((audio.start_time or 0) * base),
            "audio_duration": float((audio.duration or 0) * base),
            "sample_rate": float(audio.sample_rate),
        }


def _frame_times(path: Path) -> list[float]:
    return [frame.time for frame in iter_frames(path)]


def _assert_in_sync(made: Path, source: Path) -> None:
    """Same frame times and the same sound, starting at the same moment: in sync."""
    assert _frame_times(made) == pytest.approx(_frame_times(source), abs=1e-4)
    ours, theirs = _streams(made), _streams(source)
    assert ours["sample_rate"] == theirs["sample_rate"]
    assert ours["audio_start"] == pytest.approx(theirs["audio_start"], abs=1e-3)
    # the seal marks the sound and re-encodes it once as AAC: the start stays exact, the
    # end may grow by the padding of the last AAC frame (at most 1024 samples)
    aac_frame = 1024 / theirs["sample_rate"]
    assert theirs["audio_duration"] - 1e-3 <= ours["audio_duration"]
    assert ours["audio_duration"] <= theirs["audio_duration"] + aac_frame + 1e-3


def test_train_writes_sealed_previews_and_resumes(
    run: Path, folders: tuple[Path, Path], tmp_path: Path
) -> None:
    info = json.loads((run / RUN_FILE).read_text())
    assert info["model"] == "fauxlab" and info["size"] == 64 and info["a"]["faces"] >= 100
    assert info["settings"]["guide"] == "expression"
    for person in ("a", "b"):  # each person's opening range, for carrying openings over
        mouth, eyes = info["guides"][person]
        assert mouth == sorted(mouth) and eyes == sorted(eyes) and mouth[-1] > mouth[0]
    damaged = tmp_path / "damaged"
    damaged.mkdir()
    (damaged / RUN_FILE).write_text(json.dumps({**info, "guides": {"a": info["guides"]["a"]}}))
    with pytest.raises(ModelError, match="without both people's ranges"):
        read_run_info(damaged)
    previews = sorted((run / "previews").glob("*.png"))
    assert [p.name for p in previews] == ["step-00000002.png"]
    report = verify_file(previews[0], Provenance.default())
    assert report.sealed_by_fauxlab and not report.tampered
    resumed = shutil.copytree(run, tmp_path / "resumed")  # the shared run stays at step 2
    summary = train(Path(), Path(), resumed, steps=3, resume=True, overrides={"preview_every": 10})
    assert summary.step == 3 and summary.images == 3 * 2 * 4, "batch 4 comes from run.json"
    with pytest.raises(OutputExistsError, match="`resume`") as refused:
        train(*folders, resumed, TrainConfig(batch=4), steps=1)
    assert refused.value.settings == ("resume",)  # the CLI shows it as --resume


def test_gan_switches_on_late(folders: tuple[Path, Path], tmp_path: Path) -> None:
    config = TrainConfig(batch=2, gan_weight=0.1, gan_start=0.5, log_every=1)
    train(*folders, tmp_path / "gan", config, steps=2)
    lines = [json.loads(x) for x in (tmp_path / "gan" / "metrics.jsonl").read_text().splitlines()]
    assert [line["gan"] for line in lines] == [False, True]
    assert "a_gan" in lines[1] and "b_critic" in lines[1] and "a_gan" not in lines[0]
    weights = sorted((tmp_path / "gan" / "checkpoints").glob("*.safetensors"))[-1]
    assert any(k.startswith("critic.a.") for k in load_weights(weights)[0])


def test_expression_term_trains_a_probe_that_resumes(
    folders: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "expr"
    config = TrainConfig(batch=2, expression_weight=0.5, log_every=1, preview_every=100)
    train(*folders, out, config, steps=2)
    lines = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    assert {"a_expression", "b_expression", "a_probe"} <= set(lines[-1])
    weights = sorted((out / "checkpoints").glob("*.safetensors"))[-1]
    saved = {k: v.clone() for k, v in load_weights(weights)[0].items() if k.startswith("probe.")}
    assert saved, "the probe is part of the checkpoint"
    summary = train(Path(), Path(), out, steps=3, resume=True)
    assert summary.step == 3
    latest = sorted((out / "checkpoints").glob("*.safetensors"))[-1]
    moved = load_weights(latest)[0]
    assert any(not torch.equal(moved[k], v) for k, v in saved.items()), "the probe went on"


def test_lr_decay_and_mouth_balance_train_and_are_recorded(
    folders: tuple[Path, Path], tmp_path: Path
) -> None:
    out = tmp_path / "decay"
    config = TrainConfig(batch=2, preview_every=100, lr_decay=0.5, mouth_balance=0.5)
    train(*folders, out, config, steps=4)
    (group,) = load_checkpoint(out / "checkpoints").state["opt"]["param_groups"]
    assert group["lr"] == pytest.approx(2e-4 * 0.5), "the 4th step starts 3/4 of the way in"
    settings = read_run_info(out).settings
    assert (settings["lr_decay"], settings["mouth_balance"]) == (0.5, 0.5)


def test_flip_average_draws_the_mirrored_face_as_the_mirror_image(
    run: Path, folders: tuple[Path, Path]
) -> None:
    """Averaging a face with its mirror makes the decoder exactly mirror-symmetric: the
    mirrored crop comes out as the mirror of the crop's face; one pass alone does not."""
    faces = load_faceset(folders[0], 64)
    crop = np.ascontiguousarray(faces.images[0].permute(1, 2, 0).numpy())
    points = faces.landmarks[0]
    mirrored = points.copy()
    mirrored[:, 0] = crop.shape[1] - 1 - mirrored[:, 0]
    loaded = load_run(run)
    gaps = {}
    for flip in (True, False):
        swapper = Swapper(loaded, "b", flip_average=flip)
        face, mask = swapper.decode(crop, points)
        face_m, mask_m = swapper.decode(np.ascontiguousarray(crop[:, ::-1]), mirrored)
        gaps[flip] = np.abs(face.astype(int) - face_m[:, ::-1].astype(int)).max()
        if flip:
            assert np.allclose(mask, mask_m[:, ::-1], atol=1e-5)
    assert gaps[True] <= 1, "equal up to rounding"
    assert gaps[False] > 1, "a single pass is not symmetric, so the test can tell"


def test_apply_image_and_video_are_sealed_and_keep_audio(
    run: Path, short_clip: Path, tmp_path: Path
) -> None:
    loaded = load_run(run)
    still = tmp_path / "frame.png"
    write_image(still, next(iter_frames(short_clip)).image)
    result = apply_swap(loaded, still, tmp_path / "swapped.png", "b")
    assert result.frames_swapped == 1
    assert result.conversion == {
        "flip_average": False, "sharpen": 1.0, "resampling": "cubic", "feather_ratio": 0.08,
    }, "the defaults, recorded"  # fmt: skip
    assert verify_file(tmp_path / "swapped.png", Provenance.default()).sealed_by_fauxlab
    out = tmp_path / "swapped.mp4"
    summary = apply_swap(loaded, short_clip, out, "a")
    assert summary.frames_swapped == summary.frames > 20
    source, made = probe_video(short_clip), probe_video(out)
    assert made.audio_codec == source.audio_codec and made.frame_count == source.frame_count
    assert abs(made.duration - source.duration) < 0.1
    _assert_in_sync(out, short_clip)
    report = verify_file(out, Provenance.default())
    assert report.sealed_by_fauxlab and not report.tampered
    creds = report.credentials
    assert creds is not None and creds.claim is not None and creds.claim.ingredients
    with pytest.raises(OutputExistsError):
        apply_swap(loaded, short_clip, out, "a")
    scores = evaluate(loaded, still, tmp_path / "swapped.png", "b")
    assert scores.frames_with_faces == 1 and scores.id_retrieval in (0.0, 1.0)
    assert set(scores.reconstruction_ssim) == {"a->a", "b->b"}
    assert scores.landmark_distance_pct is not None and scores.landmark_distance_pct < 20


def test_an_unguided_run_applies_as_before(
    folders: tuple[Path, Path], short_clip: Path, tmp_path: Path
) -> None:
    train(*folders, tmp_path / "plain", TrainConfig(batch=2, guide="none"), steps=1)
    loaded = load_run(tmp_path / "plain")
    assert not loaded.info.guided and loaded.guide_for([np.zeros((68, 2))], "a", "b") is None
    still = tmp_path / "frame.png"
    write_image(still, next(iter_frames(short_clip)).image)
    assert apply_swap(loaded, still, tmp_path / "swapped.png", "b").frames_swapped == 1


def test_crop_swap_scores(run: Path, folders: tuple[Path, Path]) -> None:
    faces = {"a": load_faceset(folders[0]), "b": load_faceset(folders[1])}
    scores = crop_swap_scores(load_run(run), faces, count=4)
    assert set(scores) == {"id_a->b", "id_b->a", "ssim_a->a", "ssim_b->b"}
    assert all(0.0 <= v <= 1.0 for k, v in scores.items() if k.startswith("id"))
    assert -1.0 <= scores["ssim_a->a"] <= 1.0


def test_bad_inputs_have_clear_messages(
    run: Path, folders: tuple[Path, Path], tmp_path: Path
) -> None:
    with pytest.raises(InputError, match=r"\d+ faces; training an identity needs at least 500"):
        load_faceset(folders[0], min_faces=500)
    mixed = tmp_path / "mixed"
    shutil.copytree(folders[0], mixed)
    first = sorted(mixed.glob("*.png"))[0]
    cv2.imwrite(str(first), np.zeros((80, 80, 3), np.uint8))
    with pytest.raises(InputError, match=r"different sizes: \d+ at 64x64, 1 at 80x80 \(e\.g\. "):
        load_faceset(mixed)
    blank = tmp_path / "blank.mp4"
    with VideoWriter(blank, 10) as writer:
        for i in range(10):
            writer.write(np.full((96, 96, 3), 40 + i, np.uint8), i / 10)
    with pytest.raises(NoFaceError, match="no face"):
        apply_swap(load_run(run), blank, tmp_path / "none.mp4", "b")
    assert not (tmp_path / "none.mp4").exists()
    still = tmp_path / "wall.png"
    write_image(still, np.full((96, 96, 3), 128, np.uint8))
    with pytest.raises(NoFaceError, match="no face"):
        apply_swap(load_run(run), still, tmp_path / "none.png", "b")
    assert not (tmp_path / "none.png").exists()


def test_cli_errors_are_one_line(run: Path, tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / RUN_FILE).write_text(json.dumps({"format": "fauxlab-swap/0"}))
    blank = tmp_path / "blank.mp4"
    with VideoWriter(blank, 10) as writer:
        for i in range(5):
            writer.write(np.full((96, 96, 3), 60, np.uint8), i / 10)
    cases = [
        (["apply", str(tmp_path / "old"), str(run / RUN_FILE), "--out", str(tmp_path / "o.png")],
         "incompatible version"),
        (["train", "--out", str(tmp_path / "old"), "--resume", "--steps", "1"],
         "incompatible version"),
        (["apply", str(run), str(blank), "--out", str(tmp_path / "o.mp4")], "no face"),
        (["train", "--a", str(tmp_path), "--b", str(tmp_path), "--out", str(tmp_path / "r"),
          "--steps", "1"], "faces.jsonl"),
        (["train", "--out", str(run), "--steps", "1"], "--resume"),
        (["train", "--a", str(tmp_path), "--b", str(tmp_path), "--out", str(tmp_path / "r"),
          "--steps", "1", "--mouth-weight", "-1"], "--mouth-weight must be 0 or more"),
        (["train", "--out", str(run), "--resume", "--steps", "3", "--mouth-weight", "4"],
         "fixed when a run starts"),
        (["train", "--a", str(tmp_path), "--b", str(tmp_path), "--out", str(tmp_path / "r"),
          "--steps", "1", "--eye-weight", "-2"], "--eye-weight must be 0 or more"),
        (["train", "--out", str(run), "--resume", "--steps", "3", "--eye-weight", "4"],
         "--eye-weight is fixed when a run starts"),
        (["train", "--a", str(tmp_path), "--b", str(tmp_path), "--out", str(tmp_path / "r"),
          "--steps", "1", "--lr-decay", "2"], "--lr-decay must be between 0 and 1"),
        (["train", "--a", str(tmp_path), "--b", str(tmp_path), "--out", str(tmp_path / "r"),
          "--steps", "1", "--mouth-balance", "-1"], "--mouth-balance must be between 0 and 1"),
        (["apply", str(run), str(blank), "--out", str(tmp_path / "s.mp4"), "--sharpen", "9"],
         "--sharpen must be between 0 and 4"),
    ]  # fmt: skip
    for args, needle in cases:
        result = subprocess.run(
            [sys.executable, "-m", "fauxlab", "swap", *args],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        assert result.returncode == 2, result.stderr
        lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0], lines


def test_apply_keeps_the_timing_of_a_source_at_another_frame_rate(
    run: Path, shared_videos: Path, tmp_path: Path
) -> None:
    """The run learnt from a 30 fps and a 25 fps clip (fine: crops have no rate); a 10 fps
    source comes out at 10 fps, each frame at its source time, the sound where it was."""
    source = _clip(shared_videos / "voxceleb-1.mp4", tmp_path / "ten.mp4", fps=10)
    assert probe_video(source).fps == pytest.approx(10)
    out = tmp_path / "swapped.mp4"
    summary = apply_swap(load_run(run), source, out, "b")
    assert summary.frames == len(_frame_times(source)) == 10 and summary.frames_swapped > 0
    assert probe_video(out).fps == pytest.approx(10)
    _assert_in_sync(out, source)
    assert verify_file(out, Provenance.default()).sealed_by_fauxlab


def test_eval_pairs_frames_by_time_across_frame_rates(
    short_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A copy at half the clip's rate: frame k of the copy is source frame 2k, not k."""
    rate = probe_video(short_clip).fps
    copy = _clip(short_clip, tmp_path / "half.mp4", fps=rate / 2)
    pairs = list(evaluate_module._pairs(short_clip, copy, 300))
    assert len(pairs) == len(_frame_times(copy)) > 5
    for src, out in pairs:
        assert abs(src.time - out.time) < 0.25 / rate and src.index == 2 * out.index
    from fauxlab.cli.swap import _note_frame_rates

    _note_frame_rates(short_clip, copy)
    assert f"runs at {rate / 2:g} fps" in capsys.readouterr().err
    _note_frame_rates(short_clip, short_clip)
    assert capsys.readouterr().err == ""


def _keep_faces(folder: Path, out: Path, count: int) -> Path:
    """A copy of an extract folder whose index lists only its first `count` faces."""
    shutil.copytree(folder, out)
    lines = (out / "faces.jsonl").read_text().splitlines()
    faces = [ln for ln in lines if json.loads(ln).get("type") == "face"]
    kept = [ln for ln in lines if json.loads(ln).get("type") != "face"] + faces[:count]
    (out / "faces.jsonl").write_text("\n".join(kept) + "\n")
    return out


def test_too_few_faces_names_the_count_of_each_identity(
    folders: tuple[Path, Path], tmp_path: Path
) -> None:
    few = _keep_faces(folders[0], tmp_path / "few", 60)
    holes = _keep_faces(folders[1], tmp_path / "holes", 100)
    for png in sorted(holes.glob("*.png"))[:20]:
        png.unlink()
    with pytest.raises(InputError) as caught:
        train(few, holes, tmp_path / "run", TrainConfig(batch=2), steps=1)
    message = str(caught.value)
    assert "A (" in message and ") has 60;" in message
    assert "B (" in message and "has 80, 20 listed crops missing" in message
    assert "needs at least 100" in message and "\n" not in message
    assert not (tmp_path / "run").exists(), "nothing is written for a refused start"


CPU_OOM = (
    "DefaultCPUAllocator: can't allocate memory: you tried to allocate 2147483648 bytes. "
    "Error code 12 (Cannot allocate memory)"
)


@pytest.mark.parametrize(
    "error",
    [RuntimeError(CPU_OOM), torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate")],
    ids=["cpu", "cuda"],
)
def test_out_of_memory_halves_the_batch_once_and_goes_on(
    folders: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    error: Exception,
) -> None:
    real_step = SwapTrainer.train_step
    failures = [error]  # the first step fails once, as a too-big batch would

    def step_that_fails_once(self: SwapTrainer, gan_on: bool) -> dict[str, float]:
        if failures:
            raise failures.pop()
        return real_step(self, gan_on)

    monkeypatch.setattr(SwapTrainer, "train_step", step_that_fails_once)
    folder = tmp_path / "run"
    summary = train(*folders, folder, TrainConfig(batch=8), steps=3)
    assert summary.step == 3 and summary.batch == 4 and summary.images == 3 * 2 * 4
    lines = [ln for ln in capsys.readouterr().err.splitlines() if "out of memory" in ln]
    assert lines == [
        "out of memory with batch 8: going on with batch 4 (faces of each person per step; "
        "saved in run.json for --resume)"
    ]
    assert json.loads((folder / RUN_FILE).read_text())["settings"]["batch"] == 4
    resumed = train(Path(), Path(), folder, steps=4, resume=True)
    assert resumed.batch == 4 and resumed.images == 4 * 2 * 4


def test_out_of_memory_at_the_smallest_batch_and_other_errors_stop(
    folders: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def always(error: Exception) -> None:
        def step(self: SwapTrainer, gan_on: bool) -> dict[str, float]:
            raise error

        monkeypatch.setattr(SwapTrainer, "train_step", step)

    always(RuntimeError(CPU_OOM))
    with pytest.raises(InputError, match="out of memory even with batch 2"):
        train(*folders, tmp_path / "small", TrainConfig(batch=4), steps=2)
    always(RuntimeError("mat1 and mat2 shapes cannot be multiplied"))
    with pytest.raises(RuntimeError, match="shapes"):
        train(*folders, tmp_path / "bug", TrainConfig(batch=4), steps=2)


def test_sigterm_saves_a_checkpoint_that_resume_continues(
    folders: tuple[Path, Path], tmp_path: Path
) -> None:
    """`kill` during training: a checkpoint at or after the last logged step, exit 130,
    and --resume goes on from it (the faces-seen count carries over)."""
    folder, log = tmp_path / "run", tmp_path / "stderr.txt"
    command = [
        sys.executable, "-m", "fauxlab", "swap", "train", "--a", str(folders[0]),
        "--b", str(folders[1]), "--out", str(folder), "--batch", "4", "--steps", "100000",
        "--preview-every", "100000",
    ]  # fmt: skip
    with log.open("w") as stderr:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            logged = _wait_for_metrics(folder / "metrics.jsonl", process, timeout=300)
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=180)
        finally:
            if process.poll() is None:
                process.kill()
    assert code == 130, log.read_text()
    assert "interrupted; checkpoint saved" in log.read_text(), log.read_text()
    assert "Traceback" not in log.read_text()
    saved = json.loads((folder / "checkpoints" / "latest.json").read_text())
    assert saved["step"] >= logged and saved["images"] == saved["step"] * 2 * 4
    result = subprocess.run(
        [sys.executable, "-m", "fauxlab", "swap", "train", "--out", str(folder), "--resume",
         "--steps", str(saved["step"] + 2), "--json"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["step"] == saved["step"] + 2
    assert summary["images"] == (saved["step"] + 2) * 2 * 4, "it continued from the checkpoint"


def _wait_for_metrics(path: Path, process: subprocess.Popen[bytes], timeout: float) -> int:
    """The step of the first metrics line, once training has written one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"training ended early with {process.returncode}"
        if path.is_file() and path.read_text().strip():
            return int(json.loads(path.read_text().splitlines()[0])["step"])
        time.sleep(0.5)
    raise AssertionError(f"no metrics in {path} after {timeout} s")


def test_training_warns_when_the_target_never_opens_the_mouth(
    folders: tuple[Path, Path], shared_videos: Path, tmp_path: Path
) -> None:
    """liveportrait-d9 keeps the mouth shut for 20 s: a decoder trained on it cannot draw
    voxceleb-1's speech, and training must say so; two talking people pass quietly."""
    closed = shared_videos / "liveportrait-d9.mp4"
    if not closed.is_file():
        pytest.skip(f"{closed} not found")
    settings = ExtractSettings(size=64, max_faces=1)
    extract_faces([closed], tmp_path / "d9", settings, Sampling.parse("count:110"))
    talking, other = (load_faceset(folder) for folder in folders)
    silent = load_faceset(tmp_path / "d9")
    assert coverage_warnings(talking, other) == []
    lines = coverage_warnings(talking, silent)
    assert len(lines) == 1 and lines[0].startswith("B's faces barely open the mouth")
    assert "A -> B" in lines[0] and mouth_range(silent) < 0.1 < mouth_range(talking)
    assert "B -> A" in coverage_warnings(silent, talking)[0]
