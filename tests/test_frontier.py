import json
import math
from html.parser import HTMLParser

import pytest

from smallnets.config import TrainConfig
from smallnets.errors import SmallnetsError
from smallnets.frontier import (ConfigSummary, best_under, frontier, literature, parse_accuracy, pareto_front, smallest_reaching,
                                summarize, track_name)
from smallnets.report import build_report, plot_families, plot_frontier, plot_optimizers
from smallnets.store import RunStore

from .test_store import fake_result


def test_pareto_empty_and_single():
    assert pareto_front([]) == []
    assert pareto_front([(10, 0.5, "a")]) == [(10, 0.5, "a")]


def test_pareto_dominated_points_drop():
    pts = [(100, 0.9, "big"), (10, 0.5, "small"), (50, 0.4, "dominated"), (60, 0.8, "mid")]
    assert [p[2] for p in pareto_front(pts)] == ["small", "mid", "big"]


def test_pareto_ties_and_duplicates():
    # Same size: only the more accurate. Same accuracy: only the smaller. Exact duplicates: the first given.
    pts = [(10, 0.5, "a"), (10, 0.6, "b"), (20, 0.6, "c"), (20, 0.7, "d"), (20, 0.7, "e")]
    assert [p[2] for p in pareto_front(pts)] == ["b", "d"]


def _store_with(tmp_path, specs):
    """specs: (seed, budget, val, test, params) tuples; one config per budget."""
    store = RunStore(tmp_path / "results.sqlite")
    for seed, budget, val, test, params in specs:
        r = fake_result(seed=seed, test_acc=test, budget=budget)
        r.val_acc = val
        r.measures = {"params_total": params, "macs": params * 10}
        store.record(r)
    return store


def test_summaries_queries_and_front_use_validation(tmp_path):
    with _store_with(tmp_path, [
        (0, 1000, 0.50, 0.52, 900), (1, 1000, 0.54, 0.50, 900),       # 900 params: val 0.52, test 0.51
        (0, 5000, 0.70, 0.60, 4500), (1, 5000, 0.72, 0.62, 4500),      # 4500: val 0.71
        (0, 9000, 0.69, 0.90, 8000),                                   # 8000: worse val, far better test
    ]) as store:
        summaries = summarize(store.runs())
    assert len(summaries) == 3
    by_params = {s.params: s for s in summaries}
    assert by_params[900].seeds == [0, 1] and abs(by_params[900].test_mean - 0.51) < 1e-9
    assert abs(by_params[900].test_std - 0.0141421) < 1e-6
    # The 8000-parameter config has the best test accuracy but not the best validation: it is not chosen.
    assert [s.params for s in frontier(summaries)] == [900, 4500]
    assert best_under(summaries, 10_000).params == 4500
    assert best_under(summaries, 1000).params == 900 and best_under(summaries, 100) is None
    assert smallest_reaching(summaries, 0.7).params == 4500
    assert smallest_reaching(summaries, 0.8) is None
    cmd = by_params[900].reproduce()
    assert cmd.startswith("smallnets train --model resnet --dataset cifar10_sample")
    assert "--budget 1000" in cmd and cmd.endswith("--seeds 0,1")


def test_a_stronger_recipe_is_named_in_its_reproduce_command():
    """The augmentation track admits stronger recipes than crop+flip (cutout, longer schedules); a front row names
    its recipe through the command that reproduces it."""
    config = TrainConfig(budget=100_000, augment=True, cutout=16, epochs=200, label_smoothing=0.1)
    s = ConfigSummary("h", config, "resnet", 97_414, None, {}, "CIFAR-10 (JPEG copy)", seeds=[0, 1, 2])
    assert s.reproduce() == ("smallnets train --model resnet --dataset cifar10 --augment --budget 100000 --cutout 16 "
                             "--epochs 200 --label-smoothing 0.1 --seeds 0,1,2")


def test_parse_accuracy():
    assert parse_accuracy("90") == 0.9 and parse_accuracy("90%") == 0.9 and parse_accuracy("0.9") == 0.9
    with pytest.raises(SmallnetsError, match="not a number"):
        parse_accuracy("ninety")


def test_frontier_plot_numbers_every_published_point_and_names_it_in_a_key():
    """Published points sit close together (ResNet-32/44/56, DenseNet-BC beside ResNet-56): each star gets a number
    beside it and the key names them all, instead of names beside the stars that ran into each other."""
    lit = literature("cifar10", True)
    fig = plot_frontier([], lit, "t")
    ax = fig.axes[0]
    numbers = sorted(int(t.get_text()) for t in ax.texts if t.get_text().isdigit())
    assert numbers == list(range(1, len(lit) + 1)) and len(lit) >= 5
    key = next(t.get_text() for t in ax.texts if t.get_text().startswith("published"))
    by_params = sorted(lit, key=lambda r: r["params"])
    assert [line.split("  ")[1].split(",")[0] for line in key.splitlines()[1:]] == [r["model"] for r in by_params]
    assert "1  ResNet-20, 0.27M, 91.25%" in key


def test_frontier_plot_rings_the_stronger_recipes():
    def summary(cutout, params, test):
        config = TrainConfig(budget=params, augment=True, cutout=cutout)
        return ConfigSummary(config.hash, config, "resnet", params, None, {}, "x", [1], [0], [test], [test])
    plain, cut = summary(0, 900, 0.6), summary(16, 4500, 0.7)
    ax = plot_frontier([plain, cut], [], "t").axes[0]
    ring = next(c for c in ax.collections if c.get_label() == "with Cutout")
    assert ring.get_offsets().tolist() == [[4500, 70.0]]  # the Cutout config alone
    assert "with Cutout" in [t.get_text() for t in ax.get_legend().get_texts()]
    assert not any(c.get_label() == "with Cutout" for c in plot_frontier([plain], [], "t").axes[0].collections)
    # The track's name (plot titles, report and frontier headings) says so too, with every size in use.
    assert track_name(True, [plain]) == "standard augmentation (crop+flip)" == track_name(True)
    assert track_name(True, [plain, cut, summary(8, 2000, 0.5)]) == \
        "standard augmentation (crop+flip; some configs add Cutout 8/16)"
    assert track_name(False, [plain]) == "no augmentation"


def test_families_plot_joins_each_familys_validation_choice_in_budget_order():
    def summary(family, budget, params, lr, val, tests):
        config = TrainConfig(budget=budget, lr=lr)
        return ConfigSummary(config.hash, config, family, params, None, {}, "x", [1], list(range(len(tests))),
                             [val] * len(tests), tests)
    summaries = [summary("resnet", 50_000, 49_000, 0.1, 0.75, [0.74, 0.76]),
                 summary("resnet", 10_000, 9_800, 0.1, 0.66, [0.66]),
                 # better on test but worse on validation: the plot must not pick it
                 summary("resnet", 10_000, 9_800, 0.03, 0.60, [0.90]),
                 summary("mlp", 10_000, 9_200, 0.01, 0.30, [0.29])]
    ax = plot_families(summaries, "t").axes[0]
    lines = {bars.get_label(): bars.lines[0] for bars in ax.containers}  # each family's errorbar: its data line
    assert sorted(lines) == ["mlp", "resnet"]
    assert lines["resnet"].get_xydata().ravel().tolist() == pytest.approx([9_800, 66.0, 49_000, 75.0])
    assert lines["mlp"].get_xydata().ravel().tolist() == pytest.approx([9_200, 29.0])  # one budget: a lone marker
    assert plot_families(summaries[1:2] + summaries[3:], "t") is None  # no family has two budgets: no plot


def test_literature_points_are_cited():
    lit = literature("cifar10")
    assert lit and all(r["source"] and 0 < r["test_acc"] < 1 and r["params"] > 0 for r in lit)
    r20 = next(r for r in lit if r["model"] == "ResNet-20")
    assert r20["params"] == 270_000 and r20["test_acc"] == pytest.approx(0.9125) and r20["augment"]


class _Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.images, self.cells, self.external = [], [], [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "img":
            self.images.append(attrs.get("src", ""))
        for key in ("src", "href"):
            if attrs.get(key, "").startswith(("http:", "https:", "//")):
                self.external.append(attrs[key])

    def handle_data(self, data):
        if self.tags and self.tags[-1] == "td":
            self.cells.append(data)


def test_report_renders_plot_table_and_caveat(tmp_path):
    with _store_with(tmp_path, [(0, 1000, 0.5, 0.5, 900), (1, 1000, 0.52, 0.48, 900), (0, 5000, 0.7, 0.6, 4500)]) as s:
        rows = s.runs()
    for r in rows:  # pretend these came from the JPEG copy
        r["data_official"], r["data_label"] = 0, "CIFAR-10 (JPEG copy)"
    paths = build_report(rows, "cifar10_sample", tmp_path / "out")
    page = paths["html"].read_text()
    parser = _Collect()
    parser.feed(page)
    assert parser.images and all(src.startswith("data:image/png;base64,") for src in parser.images)
    assert not parser.external  # opens offline
    assert "table" in parser.tags and "4,500" in parser.cells and "900" in parser.cells
    assert "JPEG copy" in page and "not the official data" in page
    md = paths["markdown"].read_text()
    assert "| parameters | family |" in md and "frontier_noaug.png" in md
    assert "2 of the front's 2 configs rest on fewer than 3 seeds" in md  # 2 and 1 seeds: both unsettled
    assert "Compute behind them: 3 run(s) on unknown device, 0.0 h of run time" in md
    assert (tmp_path / "out" / "cifar10_sample" / "frontier_noaug.svg").is_file()
    assert "![families_noaug](families_noaug.png)" in md and "alt='each family per budget'" in page  # 2 budgets
    with pytest.raises(SmallnetsError, match="no runs of dataset 'mnist'"):
        build_report(rows, "mnist", tmp_path / "out")


def test_report_can_link_its_plots_instead_of_embedding_them(tmp_path):
    with _store_with(tmp_path, [(0, 1000, 0.5, 0.5, 900), (0, 5000, 0.7, 0.6, 4500)]) as s:
        rows = s.runs()
    embedded = build_report(rows, "cifar10_sample", tmp_path / "embedded")["html"]
    linked = build_report(rows, "cifar10_sample", tmp_path / "linked", link_images=True)["html"]
    parser = _Collect()
    parser.feed(linked.read_text())
    assert parser.images and not parser.external and "base64" not in linked.read_text()
    for src in parser.images:  # each names the PNG beside the page, the same bytes the embedded page carries
        assert (linked.parent / src).read_bytes() == (embedded.parent / src).read_bytes()
    assert linked.stat().st_size < embedded.stat().st_size / 5


def test_optimizer_comparison_chooses_each_rate_on_the_seeds_every_rate_has(tmp_path):
    """sgdm at 0.03 got two extra seeds whose validation is lower: the choice between its rates is still made on seed
    0, which every rate has (else extra seeds would decide it). adam is best at the top of its grid: flagged."""
    from smallnets.report import optimizer_table
    runs = [("sgdm", 0.01, 0, 0.60, 0.61), ("sgdm", 0.03, 0, 0.70, 0.69), ("sgdm", 0.03, 1, 0.62, 0.63),
            ("sgdm", 0.03, 2, 0.63, 0.64), ("sgdm", 0.1, 0, 0.66, 0.65),
            ("adam", 0.001, 0, 0.60, 0.60), ("adam", 0.003, 0, 0.66, 0.67)]
    with RunStore(tmp_path / "results.sqlite") as store:
        for opt, lr, seed, val, test in runs:
            r = fake_result(seed=seed, test_acc=test, budget=10_000, optimizer=opt, lr=lr)
            r.val_acc = val
            store.record(r)
        store.record(fake_result(budget=50_000))  # a budget with one optimizer: no comparison there
        # sgdm at 10k with three times the epochs: better, but another recipe, so not one more rate of this one
        longer = fake_result(test_acc=0.75, epochs=6, budget=10_000, optimizer="sgdm", lr=0.1)
        longer.val_acc = 0.80
        store.record(longer)
        rows = store.runs()
    epochs = fake_result().config.epochs  # 2
    table = optimizer_table(summarize(rows))
    assert [(r["optimizer"], r["recipe"], r["chosen lr"], r["seeds"]) for r in table] == [
        ("adam", f"{epochs} epochs", "0.003 (top of the grid)", 1), ("sgdm", f"{epochs} epochs", "0.03", 3)]
    assert table[1]["rates tried"] == "0.01, 0.03, 0.1" and table[1]["test acc %"] == "65.33 ± 3.21"
    paths = build_report(rows, "cifar10_sample", tmp_path / "out")
    md = paths["markdown"].read_text()
    assert "Learning rate per optimizer" in md
    assert "### Learning rates behind each family's best" in md  # the per-budget table's tuning, after it
    assert md.index("### Best of each family per budget") < md.index("### Learning rates behind each family's best")
    assert f"| 10k | resnet | {epochs} epochs | sgdm | 0.01, 0.03, 0.1 | 0.03 |" in md
    assert (tmp_path / "out" / "cifar10_sample" / "lrs_noaug.png").is_file()
    fig = plot_optimizers(summarize(rows), "t")
    ax = fig.axes[0]
    assert sorted(t.get_text() for t in ax.texts) == ["1s\n2lr", "3s\n3lr"]  # adam: 1 seed, 2 rates; sgdm: 3, 3
    caps = [y for line in ax.lines for y in line.get_ydata() if not math.isnan(y)]
    assert len(caps) == 2  # the two caps of sgdm's error bar; adam's one seed draws none


def test_family_rate_table_lists_the_rates_tried_for_each_familys_best():
    """Each family's best at each budget with every rate tried for exactly its config otherwise: another recipe
    (more epochs) or optimizer is not one more rate of it, an edge of the rates tried is flagged, a lone rate too."""
    from smallnets.report import family_rate_table

    def summary(family, budget, lr, val, seeds=1, **config):
        c = TrainConfig(model=family, budget=budget, lr=lr, **config)
        return ConfigSummary(c.hash, c, family, budget - 100, None, {}, "x", [1], list(range(seeds)), [val] * seeds,
                             [val] * seeds)
    summaries = [summary("resnet", 10_000, 0.1, 0.60, seeds=3), summary("resnet", 10_000, 0.3, 0.64),
                 summary("resnet", 10_000, 1.0, 0.55),
                 summary("resnet", 10_000, 0.3, 0.50, epochs=60),  # another recipe, below: not in the row
                 summary("resnet", 10_000, 0.003, 0.62, optimizer="adam"),  # another optimizer, below
                 summary("resnet", 50_000, 0.1, 0.70), summary("resnet", 50_000, 0.3, 0.72),
                 summary("mlp", 10_000, 0.01, 0.30, warmup_epochs=1),
                 summary("vgg16_s", 10_000, 0.03, 0.52), summary("vgg16_s", 10_000, 0.1, 0.51)]
    table = {(r["budget"], r["family"]): r for r in family_rate_table(summaries)}
    assert list(table) == [("10k", "mlp"), ("10k", "resnet"), ("10k", "vgg16_s"), ("50k", "resnet")]
    assert table[("10k", "resnet")] == {"budget": "10k", "family": "resnet", "recipe": "sgdm, 30 epochs",
                                        "val acc % by rate": "0.1: 60.00 (3 seeds), 0.3: 64.00, 1: 55.00",
                                        "chosen lr": "0.3"}
    assert table[("50k", "resnet")]["chosen lr"] == "0.3 (top of those tried)"
    assert table[("10k", "vgg16_s")]["chosen lr"] == "0.03 (bottom of those tried)"
    assert table[("10k", "mlp")]["recipe"] == "sgdm, 30 epochs, warmup_epochs 1"
    assert table[("10k", "mlp")]["chosen lr"] == "0.01 (the only rate tried)"


def test_frontier_cli(tmp_path, capsys):
    from smallnets.cli import main
    _store_with(tmp_path, [(0, 1000, 0.5, 0.5, 900), (0, 5000, 0.7, 0.6, 4500)]).close()
    res = ["--results", str(tmp_path)]
    assert main(["frontier", "--dataset", "cifar10_sample", *res, "--max-params", "1k", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)["answer"]
    assert answer["params"] == 900 and answer["reproduce"].startswith("smallnets train")
    assert main(["frontier", "--dataset", "cifar10_sample", *res, "--target-acc", "65"]) == 0
    out = capsys.readouterr().out
    assert "4,500 parameters" in out and "test 60.00% over 1 seed(s)" in out and "±" not in out  # one seed: no spread
    assert main(["frontier", "--dataset", "cifar10_sample", *res]) == 0
    assert "test 60.00%" in capsys.readouterr().out
    assert main(["frontier", "--dataset", "cifar10_sample", *res, "--target-acc", "99"]) == 1
    assert main(["frontier", "--dataset", "mnist", *res]) == 2
    assert "no finished runs" in capsys.readouterr().err
    assert main(["report", *res, "--out", str(tmp_path / "rep")]) == 0
    assert (tmp_path / "rep" / "cifar10_sample" / "report.html").is_file()


def test_frontier_cli_gives_each_augmentation_track_its_own_front(tmp_path, capsys):
    """A larger no-augmentation model behind a smaller augmented one still is the no-augmentation front's answer:
    fronts are per track; a question without --augment searches both and names the track of its answer."""
    from smallnets.cli import main
    with RunStore(tmp_path / "results.sqlite") as store:
        for budget, val, params, augment, cutout in [(1000, 0.50, 900, False, 0), (5000, 0.60, 4500, False, 0),
                                                     (1000, 0.70, 900, True, 16), (5000, 0.40, 4500, True, 0)]:
            r = fake_result(seed=0, test_acc=val, budget=budget, augment=augment, cutout=cutout)
            r.val_acc, r.measures = val, {"params_total": params, "macs": params * 10}
            store.record(r)
    res = ["--dataset", "cifar10_sample", "--results", str(tmp_path)]
    assert main(["frontier", *res, "--json"]) == 0
    assert [(a["params"], a["augment"]) for a in json.loads(capsys.readouterr().out)] == \
        [(900, False), (4500, False), (900, True)]
    assert main(["frontier", *res]) == 0
    out = capsys.readouterr().out
    # The augmentation track's heading says that some of its configs add Cutout, and which size.
    assert "no augmentation (chosen" in out
    assert "standard augmentation (crop+flip; some configs add Cutout 16) (chosen" in out
    # The augmented 4,500 is behind the augmented 900: it counts among the track's configs, not on its front.
    assert "front: 2 of 2 configs" in out and "front: 1 of 2 configs" in out
    assert "4,500" in out.split("standard augmentation")[0]
    # A stronger recipe on the augmentation track says so on its row.
    assert "cutout" not in out.split("standard augmentation")[0] and "epochs 2  cutout 16  [" in out
    assert main(["frontier", *res, "--augment", "on", "--json"]) == 0
    assert [a["params"] for a in json.loads(capsys.readouterr().out)] == [900]
    assert main(["frontier", *res, "--max-params", "10k"]) == 0
    out = capsys.readouterr().out
    assert "standard augmentation (crop+flip) with Cutout 16 (both tracks searched)" in out and "--augment" in out
    assert "--cutout 16" in out
    assert main(["frontier", *res, "--max-params", "10k", "--augment", "off", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["answer"]["params"] == 4500


def _record(store, seed, budget, val, params, status="finished", **cfg):
    r = fake_result(seed=seed, test_acc=val - 0.01, budget=budget, **cfg)
    r.val_acc, r.status = val, status
    r.measures = {"params_total": params, "macs": params * 10}
    return store.record(r)


def test_confirm_targets_are_the_choices_short_of_seeds(tmp_path):
    """A one-seed config on the front (ahead of a three-seed one by its single lucky seed), each optimizer's chosen
    rate, and with 'families' each family's best per budget: the chosen configs with fewer seeds than asked."""
    from smallnets.frontier import confirm_targets
    with RunStore(tmp_path / "results.sqlite") as store:
        for seed, val in ((0, 0.70), (1, 0.66), (2, 0.68)):
            _record(store, seed, 1000, val, 900)                         # settled: three seeds, mean 0.68
        _record(store, 0, 2000, 0.71, 1800)                              # one lucky seed beats it: on the front
        _record(store, 0, 2000, 0.60, 1800, optimizer="adam", lr=1e-3)   # adam's only rate: its chosen one
        _record(store, 0, 500, 0.50, 450, model="mlp")                   # a family's best, not on the front
        summaries = summarize(store.runs())
    by_params = lambda targets: sorted((t.params, t.config.optimizer, len(t.seeds)) for t in targets)  # noqa: E731
    assert by_params(confirm_targets(summaries, 3, ("front",))) == [(450, "sgdm", 1), (1800, "sgdm", 1)]
    assert by_params(confirm_targets(summaries, 3)) == [(450, "sgdm", 1), (1800, "adam", 1), (1800, "sgdm", 1)]
    assert confirm_targets(summaries, 1) == []
    assert by_params(confirm_targets(summaries, 3, ("families",))) == [
        (450, "sgdm", 1), (1800, "sgdm", 1)]  # resnet's best at 1k is settled; at 2k sgdm beats adam on validation


def test_confirm_trains_until_the_choice_rests_on_enough_seeds(tmp_path, monkeypatch):
    """The loop, with a stand-in trainer whose new seeds are worse for the lucky config: its first seed put it on
    the front; its two new seeds pull its mean below the settled config's, the front moves back to a config that has
    its seeds, and the next lucky one is confirmed in a second round. A diverged seed counts as tried, so a config
    gets a fresh seed number instead of the same one again; nothing settled is re-run."""
    import smallnets.sweep as sweep_mod
    from smallnets.store import RunStore as Store
    with Store(tmp_path / "results.sqlite") as store:
        for seed, val in ((0, 0.70), (1, 0.66), (2, 0.68)):
            _record(store, seed, 1000, val, 900)                  # mean 0.68, three seeds
        _record(store, 0, 2000, 0.75, 1800)                       # lucky: seeds 1, 2 will come in at 0.50
        _record(store, 0, 4000, 0.72, 3600)                       # behind the lucky one until it falls
        _record(store, 1, 4000, 0.10, 3600, status="diverged")    # seed 1 of it was tried and diverged
    later = {1800: 0.50, 3600: 0.73}
    calls = []

    # The fake runs all say width 4, whatever their budget: no model is built here, so none to compare.
    monkeypatch.setattr("smallnets.sweep.check_recorded_models", lambda store, members: None)

    def fake_train_runs(members, results_dir, options, on_result=None, **_):
        calls.append(sorted((c.budget, s) for c, s in members))
        for config, seed in members:
            r = fake_result(seed=seed, budget=config.budget)
            params = int(config.budget * 0.9)
            r.val_acc, r.test_acc = later[params], later[params] - 0.01
            r.measures = {"params_total": params, "macs": params * 10}
            on_result(r)

    monkeypatch.setattr(sweep_mod, "train_runs", fake_train_runs)
    url = str(tmp_path / "results.sqlite")
    first = sweep_mod.confirm_seeds(url, tmp_path, 3, dry_run=True, log=lambda *_: None)
    assert sorted((c.budget, s) for c, s in first) == [(2000, 1), (2000, 2)]
    # Below the lucky config's 1,800 parameters nothing chosen is short of seeds; the front is still chosen over all.
    # What the bounds leave out is said, so that it does not look settled.
    said = []
    assert sweep_mod.confirm_seeds(url, tmp_path, 3, max_params=1799, log=said.append) == [] and calls == []
    lucky = first[0][0].hash  # named by hash and settings too: two configs of one size read alike without them
    assert said == ["confirm: left out 1 chosen config(s) short of 3 seeds: "
                    f"resnet {lucky} 1,800 parameters (cifar10_sample, sgdm lr 0.1, aug 0; above --max-params 1,799)"]
    assert len(sweep_mod.confirm_seeds(url, tmp_path, 3, dry_run=True, max_params=1800, log=lambda *_: None)) == 2
    # and from 1,801 up, nothing either: --min-params and --max-params split the front between them
    assert sweep_mod.confirm_seeds(url, tmp_path, 3, min_params=1801, log=said.append) == [] and calls == []
    assert said[-1].endswith(f"resnet {lucky} 1,800 parameters (cifar10_sample, sgdm lr 0.1, aug 0; below "
                             "--min-params 1,801)")
    assert len(sweep_mod.confirm_seeds(url, tmp_path, 3, dry_run=True, min_params=1800, max_params=1800,
                                       log=lambda *_: None)) == 2
    with pytest.raises(SmallnetsError, match="--min-params 2,000 is above --max-params 1,000"):
        sweep_mod.confirm_seeds(url, tmp_path, 3, min_params=2000, max_params=1000, log=lambda *_: None)
    # The lucky config is a resnet: confirming only mlp's choices trains nothing, though the choice saw resnet's runs.
    assert sweep_mod.confirm_seeds(url, tmp_path, 3, families=("mlp",), log=said.append) == [] and calls == []
    assert said[-1].endswith("1,800 parameters (cifar10_sample, sgdm lr 0.1, aug 0; not in --family)")
    assert len(said) == 3
    assert len(sweep_mod.confirm_seeds(url, tmp_path, 3, dry_run=True, families=("mlp", "resnet"),
                                       log=lambda *_: None)) == 2
    with pytest.raises(SmallnetsError, match="unknown model 'resnte'"):  # not "nothing to confirm"
        sweep_mod.confirm_seeds(url, tmp_path, 3, families=("mlp", "resnte"), log=lambda *_: None)
    trained = sweep_mod.confirm_seeds(url, tmp_path, 3, log=lambda *_: None)
    assert calls == [[(2000, 1), (2000, 2)], [(4000, 2), (4000, 3)]]
    assert len(trained) == 4
    with Store(tmp_path / "results.sqlite") as store:
        front = frontier(summarize(store.runs()))
    assert [(s.params, len(s.seeds)) for s in front] == [(900, 3), (3600, 3)]
    assert sweep_mod.confirm_seeds(url, tmp_path, 3, log=lambda *_: None) == []  # settled: nothing more to train


def test_confirm_names_at_most_six_configs_it_leaves_out(tmp_path):
    """A long front left out by a bound is named config by config up to six, then counted, so the line stays
    readable; nothing is trained."""
    import smallnets.sweep as sweep_mod
    with RunStore(tmp_path / "results.sqlite") as store:
        for i in range(8):  # eight one-seed configs, each bigger and better: all on the front
            _record(store, 0, 1000 * (i + 1), 0.50 + 0.01 * i, 900 * (i + 1))
        hashes = {r["params_total"]: r["config_hash"] for r in store.runs()}
    said = []
    assert sweep_mod.confirm_seeds(str(tmp_path / "results.sqlite"), tmp_path, 3, max_params=100,
                                   log=said.append) == []
    named = "; ".join(f"resnet {hashes[p]} {p:,} parameters (cifar10_sample, sgdm lr 0.1, aug 0; above --max-params "
                      "100)" for p in range(900, 5401, 900))
    assert said == [f"confirm: left out 8 chosen config(s) short of 3 seeds: {named}; and 2 more"]


def test_confirm_cli_trains_real_seeds(sample_dir, tmp_path, capsys):
    from smallnets.cli import main
    res = ["--results", str(tmp_path), "--data-dir", str(sample_dir)]
    tiny = ["--dataset", "cifar10_sample", "--epochs", "1", "--train-limit", "256", "--val-size", "200",
            "--batch-size", "64", "--device", "cpu", "--progress", "none"]
    assert main(["train", "--model", "mlp", "--budget", "4k", "--augment", "--cutout", "8", *tiny, *res]) == 0
    capsys.readouterr()
    assert main(["confirm", "--seeds", "2", "--dry-run", "--results", str(tmp_path)]) == 0
    assert "would train mlp" in (out := capsys.readouterr().out) and "aug 1, cutout 8)" in out
    assert main(["confirm", "--seeds", "2", "--dry-run", "--max-params", "1k", "--results", str(tmp_path)]) == 0
    assert "0 run(s) in the first round" in capsys.readouterr().out  # the mlp has about 4k parameters
    assert main(["confirm", "--seeds", "2", "--dry-run", "--min-params", "1k", "--results", str(tmp_path)]) == 0
    assert "would train mlp" in capsys.readouterr().out
    assert main(["confirm", "--seeds", "2", "--dry-run", "--min-params", "10k", "--results", str(tmp_path)]) == 0
    assert "0 run(s) in the first round" in (out := capsys.readouterr().out)
    assert "left out 1 chosen config(s) short of 2 seeds: mlp " in out
    assert "(cifar10_sample, sgdm lr 0.1, aug 1, cutout 8; below --min-params 10,000)" in out
    assert main(["confirm", "--seeds", "2", "--dry-run", "--family", "resnet", "--results", str(tmp_path)]) == 0
    assert "0 run(s) in the first round" in capsys.readouterr().out  # the one chosen config is an mlp
    assert main(["confirm", "--family", "mlp,resnte", "--results", str(tmp_path)]) == 2
    assert "unknown model 'resnte'" in capsys.readouterr().err
    assert main(["confirm", "--max-params", "4q", "--results", str(tmp_path)]) == 2
    assert "--max-params '4q' is not a count" in capsys.readouterr().err
    assert main(["confirm", "--min-params", "10k", "--max-params", "1k", "--results", str(tmp_path)]) == 2
    assert "--min-params 10,000 is above --max-params 1,000" in capsys.readouterr().err
    assert main(["confirm", "--seeds", "2", "--device", "cpu", "--progress", "none", *res]) == 0
    with RunStore(tmp_path / "results.sqlite") as store:
        rows = store.runs()
    assert sorted(r["seed"] for r in rows) == [0, 1] and len({r["config_hash"] for r in rows}) == 1
    assert all(r["status"] == "finished" and r["params_total"] <= 4000 for r in rows)
    assert all(json.loads(r["config_json"])["cutout"] == 8 for r in rows)  # the new seed keeps the recipe
    assert main(["confirm", "--what", "front,colour", "--results", str(tmp_path)]) == 2
    assert "--what: unknown choice(s) colour" in capsys.readouterr().err
    assert main(["confirm", "--results", str(tmp_path / "nowhere")]) == 2


def test_compute_summary_names_the_gpu_and_the_cpu():
    from smallnets.report import compute_summary
    rows = [{"device": "cuda:0", "env_json": json.dumps({"cuda_device": "NVIDIA H100 80GB HBM3"}), "wall_time_s": 1800},
            {"device": "cuda:0", "env_json": json.dumps({"cuda_device": "NVIDIA H100 80GB HBM3"}), "wall_time_s": 1800},
            {"device": "cpu", "env_json": "{}", "wall_time_s": 360},
            {"device": "cpu", "env_json": json.dumps({"cpu_model": "AMD EPYC", "cpu_capability": "AVX2"}),
             "wall_time_s": 720}]
    assert compute_summary(rows) == ("1 run(s) on cpu, 0.1 h of run time; 1 run(s) on cpu (AMD EPYC, AVX2), 0.2 h of "
                                     "run time; 2 run(s) on cuda:0 (NVIDIA H100 80GB HBM3), 1.0 h of run time")
