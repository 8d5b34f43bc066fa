import torch
import torch.nn.utils.prune as prune
from torch import nn

from smallnets.measure import (count_flops, count_parameters, format_accuracies, format_count, measure_latency,
                               measure_model)
from smallnets.models import create_model


class ImageNetResNet18(nn.Module):
    """The standard ResNet-18 (He et al. 2016), written here as a reference with published figures:
    11,689,512 parameters and 1.82 GMACs at 224x224 (often called 1.8 GFLOPs)."""

    class Block(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.c1, self.b1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
            self.c2, self.b2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)) \
                if stride != 1 or cin != cout else nn.Identity()

        def forward(self, x):
            return torch.relu(self.b2(self.c2(torch.relu(self.b1(self.c1(x))))) + self.down(x))

    def __init__(self):
        super().__init__()
        layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(3, 2, 1)]
        cin = 64
        for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
            layers += [self.Block(cin, cout, stride), self.Block(cout, cout, 1)]
            cin = cout
        self.features = nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.fc = nn.Linear(512, 1000)

    def forward(self, x):
        return self.fc(self.features(x))


def test_standard_resnet18_figures():
    m = ImageNetResNet18()
    assert count_parameters(m).total == 11_689_512
    macs = count_flops(m, (3, 224, 224))["macs"]
    assert abs(macs - 1.814e9) / 1.814e9 < 0.005  # matmul+conv MACs, as torchvision's model card reports


def test_resnet20_macs_published():
    # ResNet-20 on CIFAR: about 41M multiply-accumulates (conv + fc), as reported in the literature.
    macs = count_flops(create_model("resnet"), (3, 32, 32))["macs"]
    assert 40.5e6 < macs < 41.0e6


def test_conv_and_linear_closed_form_flops():
    m = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.Flatten(), nn.Linear(8 * 16 * 16, 10))
    f = count_flops(m, (3, 16, 16))
    conv_macs = 16 * 16 * 8 * 3 * 9
    fc_macs = 8 * 16 * 16 * 10
    assert f["macs"] == conv_macs + fc_macs and f["flops"] == 2 * f["macs"]


def test_attention_matmuls_counted_on_every_device():
    class SelfAttention(nn.Module):
        def forward(self, x):  # x: (batch, heads, tokens, head_dim)
            return torch.nn.functional.scaled_dot_product_attention(x, x, x)

    heads, tokens, head_dim = 4, 64, 32
    attention_macs = 2 * heads * tokens * tokens * head_dim  # q @ k^T, then weights @ v
    assert count_flops(SelfAttention(), (heads, tokens, head_dim))["macs"] == attention_macs
    # a whole ViT: the same count on the CPU as on the meta device, where attention always runs as two bmm
    vit = create_model("vit_s", dim=64, depth=2, heads=4)
    assert count_flops(vit, (3, 32, 32))["macs"] == count_flops(vit.to("meta"), (3, 32, 32))["macs"]


def test_counts_trainable_nonzero_and_pruned():
    m = nn.Sequential(nn.Linear(10, 20), nn.ReLU(), nn.Linear(20, 5))
    nn.init.ones_(m[0].bias)
    nn.init.ones_(m[2].bias)
    c = count_parameters(m)
    assert c.total == 10 * 20 + 20 + 20 * 5 + 5 == c.trainable == c.nonzero
    m[2].weight.requires_grad_(False)
    assert count_parameters(m).trainable == c.total - 100
    prune.l1_unstructured(m[0], "weight", amount=0.5)
    pruned = count_parameters(m)
    # The dense weight_orig is still a parameter: total stays, non-zero drops by the pruned half.
    assert pruned.total == c.total and pruned.nonzero == c.total - 100
    assert pruned.buffers == 0  # the mask is not counted as a buffer
    assert pruned.bytes["fp32"] == 4 * c.total


def test_measure_model_and_latency():
    m = create_model("resnet", depth=8, width=4)
    r = measure_model(m, (3, 32, 32), latency=True, large_batch=8)
    assert r["params_total"] == sum(p.numel() for p in m.parameters())
    assert r["latency_ms_b1"] > 0 and r["images_per_s_b8"] > 0 and r["latency_device"] == "cpu"
    lat = measure_latency(m, (3, 32, 32), batch_size=2, warmup=1, repeats=5)
    assert lat["repeats"] == 5 and lat["latency_ms_p90"] >= lat["latency_ms"] * 0.5
    assert m.training is False  # latency is measured in eval mode


def test_format_accuracies_gives_a_spread_only_where_there_is_one():
    assert format_accuracies([0.7229, 0.7217, 0.7205]) == "72.17 ± 0.12"
    assert format_accuracies([0.5434]) == "54.34"  # one run has no spread, not a spread of 0.00
    assert format_accuracies([]) == "n/a"


def test_counts_are_written_with_the_unit_they_round_to():
    assert [format_count(n) for n in (950, 999.6, 23_834, 999_686, 1_004_000, 40_411_162, 999_600_000)] == \
        ["950", "1k", "23.8k", "1M", "1M", "40.4M", "1G"]
