"""Every model family: budget fitting, both input shapes, published counts, determinism."""

import pytest
import torch

from smallnets.errors import SmallnetsError
from smallnets.measure import count_flops
from smallnets.models import count_params, create_model, fit_budget, list_models
from smallnets.models.squeezenet import Fire

FAMILIES = ["resnet", "resnet18_s", "vgg16_s", "vit_s", "cct", "squeezenet", "mobilenet_v2", "shufflenet_v2",
            "shallow_cnn", "mlp"]
BUDGETS = [10_000, 50_000, 100_000, 500_000, 1_000_000, 2_000_000]


def test_all_families_registered():
    assert set(FAMILIES) <= set(list_models())


@pytest.mark.parametrize("family", FAMILIES)
def test_budget_fit_fills_85_percent(family):
    for budget in BUDGETS:
        fit = fit_budget(family, budget)
        assert 0.85 * budget <= fit.params <= budget, (family, budget, fit)
    grey = fit_budget(family, 50_000, in_channels=1, image_size=28, num_classes=10)
    assert 0.85 * 50_000 <= grey.params <= 50_000


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("shape,classes", [((3, 32, 32), 10), ((1, 28, 28), 100)])
def test_forward_backward_both_shapes(family, shape, classes):
    model = create_model(family, budget=30_000, num_classes=classes, in_channels=shape[0], image_size=shape[1])
    assert sum(p.numel() for p in model.parameters()) <= 30_000
    out = model(torch.randn(3, *shape))
    assert out.shape == (3, classes)
    out.square().mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


@pytest.mark.parametrize("family", FAMILIES)
def test_below_minimum_states_it(family):
    with pytest.raises(SmallnetsError, match=rf"below the minimum of model '{family}' \([\d,]+ parameters"):
        fit_budget(family, 50)


@pytest.mark.parametrize("family", FAMILIES)
def test_deterministic_build_and_init(family):
    a = create_model(family, budget=20_000, seed=7)
    b = create_model(family, budget=20_000, seed=7)
    assert str(a) == str(b) and a.smallnets_config == b.smallnets_config
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))


@pytest.mark.parametrize("family,knobs,params,macs", [
    # Published ImageNet models, rebuilt through our families.
    ("mobilenet_v2", dict(stem="imagenet", num_classes=1000, image_size=224), 3_504_872, 300e6),
    ("squeezenet", dict(stem="imagenet", num_classes=1000, image_size=224), 1_248_424, 819e6),
    ("shufflenet_v2", dict(stem="imagenet", num_classes=1000, image_size=224), 2_278_604, 146e6),
    # CIFAR versions of big models, the references for the "_S" variants.
    ("resnet18_s", dict(width=512), 11_173_962, None),
    ("vgg16_s", dict(width=512), 14_724_042, None),  # 14.73M less the conv biases that BatchNorm makes redundant
    ("cct", dict(), 283_723, None),  # CCT-2/3x2: 0.28M in Hassani et al.
    ("cct", dict(depth=7, dim=256, heads=4, mlp_ratio=2, conv_layers=1), 3_760_139, None),  # CCT-7/3x1: 3.76M
])
def test_published_counts(family, knobs, params, macs):
    assert count_params(family, **knobs) == params
    if macs:
        model = create_model(family, **knobs)
        assert abs(count_flops(model, (3, 224, 224))["macs"] - macs) / macs < 0.01


def test_small_variants_are_small():
    assert count_params("resnet18_s") < 0.1 * count_params("resnet18_s", width=512)
    assert count_params("vgg16_s") < 1_000_000
    assert count_params("vit_s") < 1_000_000


def test_fire_module_closed_form():
    fire = Fire(96, 16, 64, 64)
    assert sum(p.numel() for p in fire.parameters()) == (96 * 16 + 16) + (16 * 64 + 64) + (16 * 64 * 9 + 64)
    assert fire(torch.randn(2, 96, 8, 8)).shape == (2, 128, 8, 8)


def test_mlp_and_shallow_cnn_closed_form():
    assert count_params("mlp", hidden=100, layers=2, bottleneck=20) == \
        (3072 * 20 + 20) + (20 * 100 + 100) + (100 * 100 + 100) + (100 * 10 + 10)
    # conv 3->8 (no bias, BN), pool -> 16x16, conv 8->16, pool -> 8x8, flatten 1024, hidden 32, classes 10
    assert count_params("shallow_cnn", width=8, conv_layers=2, hidden=32) == \
        (27 * 8 + 16) + (72 * 16 + 32) + (1024 * 32 + 32) + (32 * 10 + 10)


def test_vit_block_closed_form_and_free_head_dim():
    dim, heads, head_dim, hidden = 20, 3, 7, 40
    block = 2 * 2 * dim + (dim * 3 * heads * head_dim + 3 * heads * head_dim) + (heads * head_dim * dim + dim) + \
        (dim * hidden + hidden) + (hidden * dim + dim)
    embed = 3 * 16 * dim + dim + dim + 65 * dim  # patch conv, its bias, class token, 64+1 positions
    head = 2 * dim + dim * 10 + 10
    assert count_params("vit_s", dim=dim, depth=2, heads=heads, head_dim=head_dim, mlp_ratio=2) == \
        embed + 2 * block + head
    model = create_model("vit_s", dim=dim, depth=2, heads=heads, head_dim=head_dim)  # inner width 21 != dim 20
    assert model(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_squeezenet_strategies_change_what_they_should():
    base = count_params("squeezenet", base_e=32)
    assert count_params("squeezenet", base_e=32, downsample="late") == base  # placement: compute, not parameters
    late = count_flops(create_model("squeezenet", base_e=32, downsample="late"), (3, 32, 32))["macs"]
    early = count_flops(create_model("squeezenet", base_e=32, downsample="early"), (3, 32, 32))["macs"]
    assert late > 4 * early
    assert count_params("squeezenet", base_e=32, pct_3x3=0.25) < base < count_params("squeezenet", base_e=32,
                                                                                        pct_3x3=0.75)
    assert count_params("squeezenet", base_e=32, squeeze_ratio=0.5) > base
    assert count_params("squeezenet", base_e=32, bypass="simple") == base
    assert count_params("squeezenet", base_e=32, bypass="complex") > base
    m = create_model("squeezenet", base_e=32, bypass="complex")
    assert m(torch.randn(2, 3, 32, 32)).shape == (2, 10)


def test_bad_knob_values_are_clear():
    with pytest.raises(SmallnetsError, match="downsample must be one of early, standard, late"):
        create_model("squeezenet", downsample="middle")
    with pytest.raises(SmallnetsError, match="conv_layers must be 1 to 4"):
        create_model("shallow_cnn", conv_layers=5)
    with pytest.raises(SmallnetsError, match="not a multiple of patch_size"):
        create_model("vit_s", patch_size=5)
    # A knob of the wrong kind (--knob depth=abc reads as a string) is named with what it takes.
    with pytest.raises(SmallnetsError, match="knob depth of model 'resnet' must be a whole number \\(default 20\\)"):
        create_model("resnet", depth="abc")
    with pytest.raises(SmallnetsError, match="knob head_dim of model 'vit_s' must be a whole number \\(unset by"):
        create_model("vit_s", head_dim=2.5)
    with pytest.raises(SmallnetsError, match="knob shortcut of model 'resnet' must be a word"):
        create_model("resnet", shortcut=1)
    assert create_model("mobilenet_v2", width=64, expansion=4).smallnets_config["knobs"]["expansion"] == 4  # int for float


def test_squeezenet_trains(sample):
    """SqueezeNet has no BatchNorm; with PyTorch's default init its loss stayed at ln(10) (a regression guard)."""
    from smallnets.config import TrainConfig
    from smallnets.train import RunOptions, train_run
    cfg = TrainConfig(dataset="cifar10_sample", model="squeezenet", budget=50_000, epochs=4, lr=0.05, batch_size=64)
    r = train_run(cfg, 0, options=RunOptions(progress="none"), dataset=sample)
    assert r.history[-1]["train_loss"] < r.history[0]["train_loss"] - 0.03
