"""SqueezeNet (Iandola et al. 2016): Fire modules (squeeze 1x1 -> expand 1x1 + 3x3) with the paper's three design
strategies as knobs: the share of 3x3 filters in the expand layer (`pct_3x3`), the squeeze ratio (`squeeze_ratio`),
and where downsampling happens (`downsample`: early, standard or late). Expand widths grow as in the paper:
e_i = base_e * (1 + i // freq), so base_e 128, freq 2 gives 128, 128, 256, 256, 384, 384, 512, 512.

`bypass`: none, simple (identity around the Fire modules whose input and output widths match) or complex (1x1
convolutions around the others as well). `stem='imagenet'` gives the original 7x7/2 stem and 3x3/2 pooling, with
which base_e 128 and 1000 classes is SqueezeNet v1.0 (1,248,424 parameters).
"""

import torch
from torch import nn

from .registry import register

POOLS_AFTER = {  # Fire module indices (0-based, of 8) followed by max-pooling; -1 means after the stem
    "early": (-1, 0, 1),
    "standard": (-1, 2, 6),  # SqueezeNet v1.0: after conv1, fire4 and fire8
    "late": (2, 4, 6),
}


class Fire(nn.Module):
    def __init__(self, in_channels: int, squeeze: int, expand1x1: int, expand3x3: int):
        super().__init__()
        self.squeeze = nn.Sequential(nn.Conv2d(in_channels, squeeze, 1), nn.ReLU())
        self.expand1x1 = nn.Conv2d(squeeze, expand1x1, 1) if expand1x1 else None
        self.expand3x3 = nn.Conv2d(squeeze, expand3x3, 3, padding=1) if expand3x3 else None

    def forward(self, x):
        s = self.squeeze(x)
        return torch.relu(torch.cat([e(s) for e in (self.expand1x1, self.expand3x3) if e is not None], 1))


class FireWithBypass(nn.Module):
    def __init__(self, fire: Fire, bypass: nn.Module):
        super().__init__()
        self.fire, self.bypass = fire, bypass

    def forward(self, x):
        return self.fire(x) + self.bypass(x)


class SqueezeNet(nn.Module):
    def __init__(self, num_classes, in_channels, base_e, freq, squeeze_ratio, pct_3x3, downsample, bypass,
                 stem, stem_channels, dropout):
        super().__init__()
        pool_at = POOLS_AFTER[downsample]
        if stem == "imagenet":
            layers = [nn.Conv2d(in_channels, stem_channels, 7, 2), nn.ReLU()]
            pool = lambda: nn.MaxPool2d(3, 2, ceil_mode=True)  # noqa: E731
        else:
            layers = [nn.Conv2d(in_channels, stem_channels, 3, padding=1), nn.ReLU()]
            pool = lambda: nn.MaxPool2d(2, ceil_mode=True)  # noqa: E731
        if -1 in pool_at:
            layers.append(pool())
        c = stem_channels
        for i in range(8):
            e = base_e * (1 + i // freq)
            e3 = round(pct_3x3 * e)
            s = max(1, round(squeeze_ratio * e))
            fire = Fire(c, s, e - e3, e3)
            if bypass == "simple" and c == e:
                fire = FireWithBypass(fire, nn.Identity())
            elif bypass == "complex":
                fire = FireWithBypass(fire, nn.Identity() if c == e else nn.Conv2d(c, e, 1))
            layers.append(fire)
            if i in pool_at:
                layers.append(pool())
            c = e
        self.features = nn.Sequential(*layers)
        # As in the paper: no fully connected layer; a 1x1 convolution to the classes, then global average pooling.
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Conv2d(c, num_classes, 1), nn.AdaptiveAvgPool2d(1),
                                        nn.Flatten())
        # There is no BatchNorm: with PyTorch's default init (a third of He's variance) the signal shrinks through the
        # Fire modules until nothing trains. He init, and a small final layer, as in the reference implementation.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, nonlinearity="relu")
                nn.init.zeros_(m.bias)
        nn.init.normal_(self.classifier[1].weight, std=0.01)

    def forward(self, x):
        return self.classifier(self.features(x))


@register("squeezenet", width_knob="base_e",
          description="SqueezeNet Fire modules; knobs for the 3x3 share, squeeze ratio, downsampling position and "
                      "bypass; base_e 128 is SqueezeNet v1.0's widths")
def squeezenet(num_classes=10, in_channels=3, image_size=32, base_e: int = 128, freq: int = 2,
               squeeze_ratio: float = 0.125, pct_3x3: float = 0.5, downsample: str = "standard",
               bypass: str = "none", stem: str = "cifar", stem_channels: int | None = None, dropout: float = 0.5):
    if base_e < 1 or freq < 1:
        raise ValueError(f"base_e and freq must be >= 1, got {base_e}, {freq}")
    if not 0 <= pct_3x3 <= 1 or not 0 < squeeze_ratio <= 1:
        raise ValueError(f"pct_3x3 must be in [0, 1] and squeeze_ratio in (0, 1]; got {pct_3x3}, {squeeze_ratio}")
    if downsample not in POOLS_AFTER:
        raise ValueError(f"downsample must be one of {', '.join(POOLS_AFTER)}, got {downsample!r}")
    if bypass not in ("none", "simple", "complex"):
        raise ValueError(f"bypass must be none, simple or complex, got {bypass!r}")
    if stem not in ("cifar", "imagenet"):
        raise ValueError(f"stem must be cifar or imagenet, got {stem!r}")
    stem_channels = stem_channels or max(1, round(0.75 * base_e))  # 96 at base_e 128, as in v1.0
    return SqueezeNet(num_classes, in_channels, base_e, freq, squeeze_ratio, pct_3x3, downsample, bypass, stem,
                      stem_channels, dropout)
