"""ResNets. `resnet`: the CIFAR ResNet of He et al. 2016 (section 4.2), depth 6n+2, three stages of n basic blocks
at widths w, 2w, 4w. Shortcut 'A' (the paper's CIFAR choice) is a parameter-free identity that subsamples and
zero-pads channels, which is why ResNet-20 has 0.27M parameters; 'B' uses 1x1 projections where the shape changes.

`resnet18_s`: the ResNet18 topology (4 stages x 2 basic blocks, projection shortcuts) with a CIFAR stem (3x3 conv,
stride 1, no max-pool) and reduced widths; at width 160 (stages 20/40/80/160) it has under 10% of ResNet18's
parameters: the "ResNet18_S" of the small-network benchmark.
"""

from torch import nn
from torch.nn import functional as F

from .registry import register


class BasicBlock(nn.Module):
    def __init__(self, in_planes: int, planes: int, stride: int, shortcut: str):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.stride, self.extra_channels = stride, planes - in_planes
        self.projection = None
        if shortcut == "B" and (stride != 1 or in_planes != planes):
            self.projection = nn.Sequential(nn.Conv2d(in_planes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))

    def shortcut(self, x):
        if self.projection is not None:
            return self.projection(x)
        if self.stride != 1:
            x = x[:, :, :: self.stride, :: self.stride]
        if self.extra_channels:
            x = F.pad(x, (0, 0, 0, 0, 0, self.extra_channels))
        return x

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    """A CIFAR-stem ResNet of basic blocks: one stage per width, the first block of every later stage at stride 2."""

    def __init__(self, stage_widths: tuple[int, ...], blocks_per_stage: int, num_classes: int, in_channels: int,
                 shortcut: str):
        super().__init__()
        if shortcut not in ("A", "B"):
            raise ValueError(f"shortcut must be 'A' or 'B', got {shortcut!r}")
        if min(stage_widths) < 1:
            raise ValueError(f"widths must be >= 1, got {stage_widths}")
        first = stage_widths[0]
        self.stem = nn.Sequential(nn.Conv2d(in_channels, first, 3, 1, 1, bias=False), nn.BatchNorm2d(first), nn.ReLU())
        blocks, planes = [], first
        for stage, stage_width in enumerate(stage_widths):
            for i in range(blocks_per_stage):
                blocks.append(BasicBlock(planes, stage_width, 2 if stage > 0 and i == 0 else 1, shortcut))
                planes = stage_width
        self.blocks = nn.Sequential(*blocks)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(planes, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        return self.classifier(self.pool(self.blocks(self.stem(x))).flatten(1))


@register("resnet", width_knob="width",
          alternatives=tuple({"depth": d} for d in (20, 14, 32, 8, 44, 56, 110)),
          description="CIFAR ResNet (He et al. 2016): depth 6n+2, widths w/2w/4w; resnet-20 at w=16 is 0.27M")
def resnet(num_classes=10, in_channels=3, image_size=32, depth: int = 20, width: int = 16, shortcut: str = "A"):
    if depth < 8 or (depth - 2) % 6:
        raise ValueError(f"depth must be 6n+2 with n >= 1 (8, 14, 20, 32, 44, 56, 110, ...), got {depth}")
    return ResNet((width, 2 * width, 4 * width), (depth - 2) // 6, num_classes, in_channels, shortcut)


@register("resnet18_s", width_knob="width",
          description="ResNet18 topology (4x2 basic blocks), CIFAR stem; width = last-stage channels "
                      "(stages w/8, w/4, w/2, w); width 512 is ResNet18 (11.2M), 160 is ResNet18_S (1.1M)")
def resnet18_s(num_classes=10, in_channels=3, image_size=32, width: int = 160):
    # The knob is the widest stage so that the budget fitter moves in small steps even at a few thousand parameters.
    widths = tuple(max(1, round(width / d)) for d in (8, 4, 2, 1))
    return ResNet(widths, 2, num_classes, in_channels, "B")
