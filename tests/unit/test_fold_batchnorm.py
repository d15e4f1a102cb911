"""Folding batch norm into the convolutions: the same network, fewer layers."""

from __future__ import annotations

import torch
from torch import nn

from fauxlab.backbones.lite0 import build_lite0, fold_batchnorm
from fauxlab.detection.detectors.learned.model import ForgeryNet
from fauxlab.detection.detectors.learned.weights import builtin_path, load_detector
from fauxlab.training.checkpoint import load_weights


def test_the_shipped_detector_is_loaded_folded_and_scores_as_before() -> None:
    folded = load_detector().model
    assert not any(isinstance(m, nn.BatchNorm2d) for m in folded.modules())
    tensors, _ = load_weights(builtin_path())
    plain = ForgeryNet(pretrained=False)
    plain.load_state_dict({k: v.float() for k, v in tensors.items()})
    x = torch.rand(3, 3, 128, 128) * 2 - 1
    with torch.inference_mode():
        (logit_a, map_a), (logit_b, map_b) = plain.eval()(x), folded(x)
    assert torch.allclose(logit_a, logit_b, atol=1e-4)
    assert torch.allclose(map_a, map_b, atol=1e-4)


def test_folding_imagenet_lite0_keeps_its_predictions() -> None:
    net = build_lite0().eval()
    x = torch.rand(2, 3, 128, 128) * 2 - 1
    with torch.inference_mode():
        before = net(x)
        after = fold_batchnorm(net)(x)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in net.modules())
    assert torch.allclose(before, after, atol=1e-3)
    assert torch.equal(before.argmax(1), after.argmax(1))
