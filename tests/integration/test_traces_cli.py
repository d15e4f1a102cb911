"""`fauxlab detector train-traces` end to end on real faces, tiny: pool, zoo, steps, the
held-out report, the model file the detector loads, resume, and refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from fauxlab.cli.main import app
from fauxlab.detection.detectors.traces.weights import load_model
from fauxlab.errors import InputError, OutputExistsError

TINY = [
    "--faces", "12", "--decoder-steps", "2", "--width", "4", "--eval-faces", "4",
    "--frames-per-clip", "1",
]  # fmt: skip


def _train(data: Path, out: Path, *extra: str) -> Result:
    args = ["detector", "train-traces", "--data", str(data), "--out", str(out), *TINY, *extra]
    return CliRunner().invoke(app, [*args, "--json"])


@pytest.mark.slow
def test_a_tiny_run_writes_a_model_its_report_and_resumes(
    shared_data: Path, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    result = _train(shared_data, run, "--steps", "4")
    assert result.exit_code == 0, (result.output, result.exception)
    report = json.loads((run / "report.json").read_text())
    assert report["steps"] == 4
    held = report["held_out"]
    for group in ("training_decoders", "held_out_decoders"):
        for edit in ("clean", "jpeg75", "half_size", "double_size"):
            assert 0.0 <= held[f"{group}_{edit}"]["auc"] <= 1.0
    assert held["counts"]["reals"] > 4  # faces and a frame of each held-out clip
    assert "train-traces" in report["command"] and "--width 4" in report["command"]
    model = load_model(run / "traces.safetensors")
    assert model.settings.width == 4 and model.info["steps"] == 4
    refused = _train(shared_data, run, "--steps", "6")  # never overwrites a run by accident
    assert isinstance(refused.exception, OutputExistsError) and "--resume" in str(refused.exception)
    resumed = _train(shared_data, run, "--steps", "6", "--resume")
    assert resumed.exit_code == 0, (resumed.output, resumed.exception)
    assert json.loads((run / "report.json").read_text())["steps"] == 6


def test_bad_requests_get_one_line_errors(shared_data: Path, tmp_path: Path) -> None:
    no_budget = _train(shared_data, tmp_path / "run")
    assert isinstance(no_budget.exception, InputError)
    assert "--minutes or --steps" in str(no_budget.exception)
    no_faces = _train(tmp_path, tmp_path / "run", "--steps", "1")
    assert isinstance(no_faces.exception, InputError)
    assert "faces/utkface" in str(no_faces.exception)
