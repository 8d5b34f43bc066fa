"""Shallow students. `shallow_cnn`: 1 to 4 convolutional layers (each with max-pooling) and an optional linear
bottleneck and hidden fully connected layer: the students of Urban et al. 2017, "Do deep convolutional nets really
need to be deep (or even convolutional)?". `mlp`: fully connected nets of 1 to 3 hidden layers with an optional
linear bottleneck before the first: the mimic nets of Ba & Caruana 2014, "Do deep nets really need to be deep?".
"""

from torch import nn

from .registry import register


def _head(features: int, bottleneck: int, hidden: int, layers: int, num_classes: int) -> list[nn.Module]:
    """[linear bottleneck] -> layers x (hidden + ReLU) -> classes. The bottleneck has no nonlinearity: it factors the
    first weight matrix, which is what made wide shallow mimic nets trainable."""
    out, c = [], features
    if bottleneck:
        out.append(nn.Linear(c, bottleneck))
        c = bottleneck
    for _ in range(layers):
        out += [nn.Linear(c, hidden), nn.ReLU()]
        c = hidden
    return out + [nn.Linear(c, num_classes)]


class ShallowCNN(nn.Module):
    def __init__(self, num_classes, in_channels, image_size, conv_layers, width, kernel_size, batch_norm, bottleneck,
                 hidden):
        super().__init__()
        layers, c, size = [], in_channels, image_size
        for i in range(conv_layers):
            out = width * 2 ** i
            layers.append(nn.Conv2d(c, out, kernel_size, padding=kernel_size // 2, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm2d(out))
            layers += [nn.ReLU(), nn.MaxPool2d(2)]
            c, size = out, size // 2
        self.features = nn.Sequential(*layers, nn.Flatten())
        self.classifier = nn.Sequential(*_head(c * size * size, bottleneck, hidden, 1 if hidden else 0, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


class MLP(nn.Module):
    def __init__(self, num_classes, in_features, hidden, layers, bottleneck):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), *_head(in_features, bottleneck, hidden, layers, num_classes))

    def forward(self, x):
        return self.net(x)


@register("shallow_cnn", width_knob="width", alternatives=tuple({"conv_layers": n} for n in (2, 3, 1, 4)),
          description="1-4 conv layers (channels w, 2w, 4w, 8w, each max-pooled) + optional linear bottleneck and "
                      "hidden FC layer (Urban et al. 2017 students)")
def shallow_cnn(num_classes=10, in_channels=3, image_size=32, width: int = 64, conv_layers: int = 2,
                kernel_size: int = 3, batch_norm: bool = True, bottleneck: int = 0, hidden: int = 0):
    if not 1 <= conv_layers <= 4:
        raise ValueError(f"conv_layers must be 1 to 4, got {conv_layers}")
    if width < 1 or bottleneck < 0 or hidden < 0 or kernel_size < 1:
        raise ValueError(f"need width, kernel_size >= 1 and bottleneck, hidden >= 0; got {width}, {kernel_size}, "
                         f"{bottleneck}, {hidden}")
    return ShallowCNN(num_classes, in_channels, image_size, conv_layers, width, kernel_size, batch_norm, bottleneck,
                      hidden)


@register("mlp", width_knob="hidden", alternatives=tuple({"layers": n} for n in (1, 2, 3)),
          description="fully connected net, 1-3 hidden ReLU layers, optional linear bottleneck (Ba & Caruana mimic "
                      "nets)")
def mlp(num_classes=10, in_channels=3, image_size=32, hidden: int = 512, layers: int = 1, bottleneck: int = 0):
    if not 1 <= layers <= 3:
        raise ValueError(f"layers must be 1 to 3, got {layers}")
    if hidden < 1 or bottleneck < 0:
        raise ValueError(f"need hidden >= 1 and bottleneck >= 0; got {hidden}, {bottleneck}")
    return MLP(num_classes, in_channels * image_size * image_size, hidden, layers, bottleneck)
