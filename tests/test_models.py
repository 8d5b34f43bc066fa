import pytest
import torch

from smallnets.errors import SmallnetsError
from smallnets.models import count_params, create_model, fit_budget, list_models


@pytest.mark.parametrize("depth,published", [(20, 269_722), (32, 464_154), (44, 658_586), (56, 853_018),
                                             (110, 1_727_962)])
def test_cifar_resnet_published_counts(depth, published):
    """He et al. 2016, Table 6: 0.27M, 0.46M, 0.66M, 0.85M, 1.7M (option A shortcuts, 10 classes)."""
    assert count_params("resnet", depth=depth) == published
    assert sum(p.numel() for p in create_model("resnet", depth=depth).parameters()) == published


def test_resnet_closed_form():
    """Stem conv+BN, per stage n blocks of two 3x3 conv+BN, classifier; option A has no shortcut weights."""
    def closed(depth, w, classes=10, c_in=3):
        n = (depth - 2) // 6
        total = 9 * c_in * w + 2 * w
        prev = w
        for width in (w, 2 * w, 4 * w):
            for _ in range(n):
                total += 9 * prev * width + 2 * width + 9 * width * width + 2 * width
                prev = width
        return total + 4 * w * classes + classes
    for depth, w, classes, c_in in [(8, 5, 10, 3), (14, 7, 100, 3), (20, 3, 10, 1)]:
        assert count_params("resnet", depth=depth, width=w, num_classes=classes, in_channels=c_in) == \
            closed(depth, w, classes, c_in)


@pytest.mark.parametrize("budget", [10_000, 50_000, 100_000, 500_000, 1_000_000, 2_000_000])
def test_budget_fit(budget):
    fit = fit_budget("resnet", budget)
    assert 0.85 * budget <= fit.params <= budget
    model = create_model("resnet", budget=budget)
    assert sum(p.numel() for p in model.parameters()) == fit.params
    assert model.smallnets_config["knobs"] == fit.knobs


def test_budget_fit_respects_fixed_knobs_and_minimum():
    fit = fit_budget("resnet", 300_000, depth=56)
    assert fit.knobs["depth"] == 56 and fit.params <= 300_000
    with pytest.raises(SmallnetsError, match="below the minimum of model 'resnet'"):
        fit_budget("resnet", 100)
    with pytest.raises(SmallnetsError, match="do not set it as well"):
        fit_budget("resnet", 100_000, width=8)


@pytest.mark.parametrize("shape,classes", [((3, 32, 32), 10), ((1, 28, 28), 100)])
def test_forward_backward_both_input_shapes(shape, classes):
    model = create_model("resnet", budget=20_000, num_classes=classes, in_channels=shape[0], image_size=shape[1])
    out = model(torch.randn(4, *shape))
    assert out.shape == (4, classes)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_same_seed_same_weights():
    a, b = create_model("resnet", width=4, seed=3), create_model("resnet", width=4, seed=3)
    c = create_model("resnet", width=4, seed=4)
    assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    assert not all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), c.state_dict().values()))


def test_registry_errors():
    assert "resnet" in list_models("res*") and list_models("nothing*") == []
    with pytest.raises(SmallnetsError, match="unknown model 'resnot'; expected one of: .*resnet"):
        create_model("resnot")
    with pytest.raises(SmallnetsError, match="has no knob colour; its knobs are: depth, width, shortcut"):
        create_model("resnet", colour=3)
    with pytest.raises(SmallnetsError, match="depth must be 6n\\+2"):
        create_model("resnet", depth=21)
