"""Mobile architectures with depthwise convolutions.

`mobilenet_v2` (Sandler et al. 2018): inverted residuals with linear bottlenecks; `width` is the width multiplier
in thousandths (1000 is 1.0x; fine steps let the budget fitter land close to small budgets), `expansion` the
expansion ratio. The CIFAR stem keeps full resolution (stem stride 1, and the first
stride-2 stage at stride 1, as CIFAR ports commonly do). Unlike the paper, which keeps 1280 final channels below
width 100, the final layer scales with the width here, so that small budgets are reachable.

`shufflenet_v2` (Ma et al. 2018): channel split, two branches, concatenation and channel shuffle; `width` is half
the first stage's channels (58 is the 1.0x model: stages 116, 232, 464). Its final 1x1 layer (1024 channels in the
paper) scales down with the width below 1.0x; for very small budgets the fitter may also fix it at 128, 64 or 32
channels.

With `stem='imagenet'` and 1000 classes both are the published ImageNet models (MobileNetV2 1.0: 3,504,872
parameters; ShuffleNetV2 1.0x: 2,278,604).
"""

import torch
from torch import nn

from .registry import register

MOBILENET_V2_STAGES = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
                       (6, 320, 1, 1))  # expansion, channels, repeats, stride


def make_divisible(value: float, divisor: int) -> int:
    """Round to a multiple of divisor, never below divisor or more than 10% below the value (as the reference)."""
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def conv_bn(cin, cout, kernel, stride=1, groups=1, act=nn.ReLU6):
    layers = [nn.Conv2d(cin, cout, kernel, stride, kernel // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers, act()) if act else nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expansion):
        super().__init__()
        hidden = round(cin * expansion)
        layers = [conv_bn(cin, hidden, 1)] if expansion != 1 else []
        layers += [conv_bn(hidden, hidden, 3, stride, groups=hidden), conv_bn(hidden, cout, 1, act=None)]
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.block(x) if self.residual else self.block(x)


class MobileNetV2(nn.Module):
    def __init__(self, num_classes, in_channels, alpha, expansion, divisor, stem, dropout):
        super().__init__()
        cifar = stem == "cifar"
        c = make_divisible(32 * alpha, divisor)
        layers = [conv_bn(in_channels, c, 3, 1 if cifar else 2)]
        for i, (t, channels, repeats, stride) in enumerate(MOBILENET_V2_STAGES):
            out = make_divisible(channels * alpha, divisor)
            stride = 1 if cifar and i == 1 else stride
            for j in range(repeats):
                layers.append(InvertedResidual(c, out, stride if j == 0 else 1, t if t == 1 else expansion))
                c = out
        last = make_divisible(1280 * alpha, divisor) if cifar else make_divisible(1280 * max(1.0, alpha), divisor)
        layers.append(conv_bn(c, last, 1))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(last, num_classes))

    def forward(self, x):
        return self.classifier(self.pool(self.features(x)).flatten(1))


def channel_shuffle(x, groups: int):
    b, c, h, w = x.shape
    return x.view(b, groups, c // groups, h, w).transpose(1, 2).reshape(b, c, h, w)


class ShuffleUnit(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        branch = cout // 2
        self.stride = stride
        self.branch1 = nn.Sequential(conv_bn(cin, cin, 3, stride, groups=cin, act=None),
                                     conv_bn(cin, branch, 1, act=nn.ReLU)) if stride > 1 else None
        self.branch2 = nn.Sequential(conv_bn(cin if stride > 1 else branch, branch, 1, act=nn.ReLU),
                                     conv_bn(branch, branch, 3, stride, groups=branch, act=None),
                                     conv_bn(branch, branch, 1, act=nn.ReLU))

    def forward(self, x):
        if self.stride == 1:
            x1, x2 = x.chunk(2, dim=1)
            out = torch.cat([x1, self.branch2(x2)], 1)
        else:
            out = torch.cat([self.branch1(x), self.branch2(x)], 1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    def __init__(self, num_classes, in_channels, stage_channels, last, stem, stem_channels):
        super().__init__()
        if stem == "cifar":
            layers = [conv_bn(in_channels, stem_channels, 3, 1, act=nn.ReLU)]
        else:
            layers = [conv_bn(in_channels, stem_channels, 3, 2, act=nn.ReLU), nn.MaxPool2d(3, 2, 1)]
        c = stem_channels
        for out, repeats in zip(stage_channels, (4, 8, 4)):
            for j in range(repeats):
                layers.append(ShuffleUnit(c, out, 2 if j == 0 else 1))
                c = out
        layers.append(conv_bn(c, last, 1, act=nn.ReLU))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(last, num_classes)

    def forward(self, x):
        return self.classifier(self.pool(self.features(x)).flatten(1))


def _check_stem(stem):
    if stem not in ("cifar", "imagenet"):
        raise ValueError(f"stem must be cifar or imagenet, got {stem!r}")


@register("mobilenet_v2", width_knob="width", alternatives=({}, {"divisor": 1}),
          description="MobileNetV2 inverted residuals, depthwise convs; width = width multiplier x 1000")
def mobilenet_v2(num_classes=10, in_channels=3, image_size=32, width: int = 1000, expansion: float = 6.0,
                 divisor: int = 8, stem: str = "cifar", dropout: float = 0.2):
    _check_stem(stem)
    if width < 1 or expansion <= 0 or divisor < 1:
        raise ValueError(f"need width >= 1, expansion > 0, divisor >= 1; got {width}, {expansion}, {divisor}")
    return MobileNetV2(num_classes, in_channels, width / 1000, expansion, divisor, stem, dropout)


@register("shufflenet_v2", width_knob="width",
          alternatives=({}, {"last_channel": 128}, {"last_channel": 64}, {"last_channel": 32}),
          description="ShuffleNetV2 channel split + shuffle; width = half the first stage's channels (58 is 1.0x)")
def shufflenet_v2(num_classes=10, in_channels=3, image_size=32, width: int = 58, last_channel: int | None = None,
                  stem: str = "cifar", stem_channels: int = 24):
    _check_stem(stem)
    if width < 1:
        raise ValueError(f"width must be >= 1, got {width}")
    if last_channel is None:  # the paper: 1024 up to 1.5x, 2048 at 2.0x; scaled down below 1.0x here
        last_channel = 2048 if width >= 122 else 1024 if width >= 58 else max(8, round(1024 * width / 58))
    return ShuffleNetV2(num_classes, in_channels, (2 * width, 4 * width, 8 * width), last_channel, stem,
                        stem_channels)
