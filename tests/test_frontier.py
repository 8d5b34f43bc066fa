import json
from html.parser import HTMLParser

import pytest

from smallnets.errors import SmallnetsError
from smallnets.frontier import (best_under, frontier, literature, parse_accuracy, pareto_front, smallest_reaching,
                                summarize)
from smallnets.report import build_report
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


def test_parse_accuracy():
    assert parse_accuracy("90") == 0.9 and parse_accuracy("90%") == 0.9 and parse_accuracy("0.9") == 0.9
    with pytest.raises(SmallnetsError, match="not a number"):
        parse_accuracy("ninety")


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
    assert (tmp_path / "out" / "cifar10_sample" / "frontier_noaug.svg").is_file()
    with pytest.raises(SmallnetsError, match="no runs of dataset 'mnist'"):
        build_report(rows, "mnist", tmp_path / "out")


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
        rows = store.runs()
    table = optimizer_table(summarize(rows))
    assert [(r["optimizer"], r["chosen lr"], r["seeds"]) for r in table] == [
        ("adam", "0.003 (top of the grid)", 1), ("sgdm", "0.03", 3)]
    assert table[1]["rates tried"] == "0.01, 0.03, 0.1" and table[1]["test acc %"] == "65.33 ± 3.21"
    paths = build_report(rows, "cifar10_sample", tmp_path / "out")
    md = paths["markdown"].read_text()
    assert "Learning rate per optimizer" in md and "| 10k | resnet | sgdm | 0.01, 0.03, 0.1 | 0.03 |" in md
    assert (tmp_path / "out" / "cifar10_sample" / "lrs_noaug.png").is_file()


def test_frontier_cli(tmp_path, capsys):
    from smallnets.cli import main
    _store_with(tmp_path, [(0, 1000, 0.5, 0.5, 900), (0, 5000, 0.7, 0.6, 4500)]).close()
    res = ["--results", str(tmp_path)]
    assert main(["frontier", "--dataset", "cifar10_sample", *res, "--max-params", "1k", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)["answer"]
    assert answer["params"] == 900 and answer["reproduce"].startswith("smallnets train")
    assert main(["frontier", "--dataset", "cifar10_sample", *res, "--target-acc", "65"]) == 0
    assert "4,500 parameters" in capsys.readouterr().out
    assert main(["frontier", "--dataset", "cifar10_sample", *res, "--target-acc", "99"]) == 1
    assert main(["frontier", "--dataset", "mnist", *res]) == 2
    assert "no finished runs" in capsys.readouterr().err
    assert main(["report", *res, "--out", str(tmp_path / "rep")]) == 0
    assert (tmp_path / "rep" / "cifar10_sample" / "report.html").is_file()
