"""VGG16 topology (13 3x3 convolutions in five blocks of 2, 2, 3, 3, 3, each followed by 2x2 max-pooling) with batch
norm, as used on CIFAR, and reduced widths: "VGG16_S". The classifier is one linear layer by default (the common
CIFAR variant), or hidden fully connected layers as in the original with `classifier_hidden`.
"""

from torch import nn

from .registry import register

BLOCKS = (2, 2, 3, 3, 3)
WIDTH_DIVISORS = (8, 4, 2, 1, 1)  # 64, 128, 256, 512, 512 at width 512


class VGG(nn.Module):
    def __init__(self, widths, num_classes, in_channels, classifier_hidden: int):
        super().__init__()
        layers, c = [], in_channels
        for n, w in zip(BLOCKS, widths):
            for _ in range(n):
                layers += [nn.Conv2d(c, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU()]
                c = w
            layers.append(nn.MaxPool2d(2, ceil_mode=True))  # ceil: 28x28 inputs shrink to 1x1, not to nothing
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        head = []
        if classifier_hidden:
            head = [nn.Linear(c, classifier_hidden), nn.ReLU(), nn.Dropout(0.5),
                    nn.Linear(classifier_hidden, classifier_hidden), nn.ReLU(), nn.Dropout(0.5)]
            c = classifier_hidden
        self.classifier = nn.Sequential(*head, nn.Linear(c, num_classes))

    def forward(self, x):
        return self.classifier(self.pool(self.features(x)).flatten(1))


@register("vgg16_s", width_knob="width",
          description="VGG16 (13 conv + BN) with reduced widths; width = last-block channels (blocks w/8, w/4, w/2, "
                      "w, w); width 512 is the CIFAR VGG16 (14.7M), 128 is VGG16_S (0.92M)")
def vgg16_s(num_classes=10, in_channels=3, image_size=32, width: int = 128, classifier_hidden: int = 0):
    if classifier_hidden < 0:
        raise ValueError(f"classifier_hidden must be >= 0, got {classifier_hidden}")
    widths = tuple(max(1, round(width / d)) for d in WIDTH_DIVISORS)
    return VGG(widths, num_classes, in_channels, classifier_hidden)
