"""Detection: how fakes are caught. Detectors turn analysed media into evidence.

This is the package's public face: the command line, the web app and the demo import
only from here. `detect_inputs` runs detectors over files and folders (`DetectOptions`
says how), giving a `FileReport` per file with each detector's `Evidence` and one
fused `Verdict`. A detector is anything with a `name` and `examine(AnalysedMedia) ->
Evidence` (`Detector`), described by a `DetectorSpec` and made available with
`register`; `available_detectors` loads them (docs/detect.md, "Writing a detector").

The trainers (`train_detector`, `train_spectrum`, `train_generated` and their configs)
are imported only when first used, so detecting does not load what training needs.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from fauxlab.detection.analysed import (
    DEFAULT_KEYFRAMES,
    AnalysedMedia,
    AnalysisOptions,
    FrameRecord,
    analyse,
)
from fauxlab.detection.bench import (
    BenchResult,
    GroupRow,
    bench_dict,
    collect,
    run_bench,
    write_outputs,
)
from fauxlab.detection.evidence import Detector, Evidence, FaceScore, Figure, Verdict
from fauxlab.detection.fusion import DEFAULT_THRESHOLD, Bands, Fused, bands, fuse
from fauxlab.detection.onefile import (
    DetectOptions,
    DetectRun,
    FileError,
    FileReport,
    RunProgress,
    detect_file,
    detect_one,
    expand,
)
from fauxlab.detection.pool import (
    STARTED,
    ProgressEvent,
    one_thread_per_worker,
    run_one,
    start_worker,
    worker_events,
)
from fauxlab.detection.registry import (
    DetectorRecipe,
    DetectorSpec,
    Skipped,
    available_detectors,
    default_names,
    detector_spec,
    register,
    specs,
)
from fauxlab.detection.report.document import file_dict, to_document
from fauxlab.detection.report.html import file_timeline, render, write_html
from fauxlab.detection.report.schema import SCHEMA_ID
from fauxlab.detection.run import AUTO_JOBS, detect_inputs

if TYPE_CHECKING:
    from fauxlab.detection.detectors.generated.features import FeatureSettings
    from fauxlab.detection.detectors.generated.train import GeneratedTrainConfig, train_generated
    from fauxlab.detection.detectors.learned.train import DetectorConfig, train_detector
    from fauxlab.detection.detectors.spectrum.train import SpectrumTrainConfig, train_spectrum
    from fauxlab.detection.detectors.traces.train import TracesTrainConfig, train_traces
    from fauxlab.detection.detectors.voice.cnn_train import CnnTrainConfig, train_cnn
    from fauxlab.detection.detectors.voice.features import LfccSettings
    from fauxlab.detection.detectors.voice.train import (
        Recording,
        VoiceTrainConfig,
        train_voice,
        voice_equal_error,
        voice_scores,
    )
    from fauxlab.detection.imagetrain import SourceConfig, TrainReport
    from fauxlab.detection.linear import LinearModel

# name -> the module it is imported from when first asked for (they load torch)
_TRAINING = {
    "FeatureSettings": "fauxlab.detection.detectors.generated.features",
    "GeneratedTrainConfig": "fauxlab.detection.detectors.generated.train",
    "train_generated": "fauxlab.detection.detectors.generated.train",
    "DetectorConfig": "fauxlab.detection.detectors.learned.train",
    "train_detector": "fauxlab.detection.detectors.learned.train",
    "SpectrumTrainConfig": "fauxlab.detection.detectors.spectrum.train",
    "train_spectrum": "fauxlab.detection.detectors.spectrum.train",
    "SourceConfig": "fauxlab.detection.imagetrain",
    "TrainReport": "fauxlab.detection.imagetrain",
    "LinearModel": "fauxlab.detection.linear",
    "TracesTrainConfig": "fauxlab.detection.detectors.traces.train",
    "train_traces": "fauxlab.detection.detectors.traces.train",
    "Recording": "fauxlab.detection.detectors.voice.train",
    "LfccSettings": "fauxlab.detection.detectors.voice.features",
    "VoiceTrainConfig": "fauxlab.detection.detectors.voice.train",
    "train_voice": "fauxlab.detection.detectors.voice.train",
    "voice_scores": "fauxlab.detection.detectors.voice.train",
    "voice_equal_error": "fauxlab.detection.detectors.voice.train",
    "CnnTrainConfig": "fauxlab.detection.detectors.voice.cnn_train",
    "train_cnn": "fauxlab.detection.detectors.voice.cnn_train",
}


def __getattr__(name: str) -> Any:
    if name in _TRAINING:
        return getattr(importlib.import_module(_TRAINING[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "AUTO_JOBS",
    "DEFAULT_KEYFRAMES",
    "DEFAULT_THRESHOLD",
    "SCHEMA_ID",
    "STARTED",
    "AnalysedMedia",
    "AnalysisOptions",
    "Bands",
    "BenchResult",
    "CnnTrainConfig",
    "DetectOptions",
    "DetectRun",
    "Detector",
    "DetectorConfig",
    "DetectorRecipe",
    "DetectorSpec",
    "Evidence",
    "FaceScore",
    "FeatureSettings",
    "Figure",
    "FileError",
    "FileReport",
    "FrameRecord",
    "Fused",
    "GeneratedTrainConfig",
    "GroupRow",
    "LfccSettings",
    "LinearModel",
    "ProgressEvent",
    "Recording",
    "RunProgress",
    "Skipped",
    "SourceConfig",
    "SpectrumTrainConfig",
    "TracesTrainConfig",
    "TrainReport",
    "Verdict",
    "VoiceTrainConfig",
    "analyse",
    "available_detectors",
    "bands",
    "bench_dict",
    "collect",
    "default_names",
    "detect_file",
    "detect_inputs",
    "detect_one",
    "detector_spec",
    "expand",
    "file_dict",
    "file_timeline",
    "fuse",
    "one_thread_per_worker",
    "register",
    "render",
    "run_bench",
    "run_one",
    "specs",
    "start_worker",
    "to_document",
    "train_cnn",
    "train_detector",
    "train_generated",
    "train_spectrum",
    "train_traces",
    "train_voice",
    "voice_equal_error",
    "voice_scores",
    "worker_events",
    "write_html",
    "write_outputs",
]
