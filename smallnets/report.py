"""Reports: one self-contained HTML page and a Markdown summary per dataset, with PNG and SVG plots beside them.

Reads the runs table only; never trains. Plots are embedded in the HTML as base64 PNG, so the page opens offline as
one file; with `link_images` it refers to the PNG files beside it instead, so folders that keep the PNGs anyway (such
as docs/results in git) do not store each plot a second time as base64.
Every choice shown (front, best per budget, best per optimizer) is made on validation accuracy; the numbers shown
are test accuracy (mean +- std over seeds).
"""

from __future__ import annotations

import base64
import dataclasses
import html
import io
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from .data import get_spec  # noqa: E402
from .errors import SmallnetsError  # noqa: E402
from .frontier import (CONFIRM_SEEDS, ConfigSummary, chosen_rate, family_best, filter_rows, frontier,  # noqa: E402
                       literature, optimizer_rates, summarize, track_name, tracks)
from .measure import format_accuracies, format_count, format_knobs  # noqa: E402

MARKERS = "osD^v<>pPX*h"


def _foot_note(fig, ax, text: str) -> None:
    """A note under everything the axes draw, however tall their tick labels and axis label are (a note at a fixed
    height overlapped them); _save's tight bounding box grows the picture to take it in."""
    bottom = ax.get_tightbbox(fig.canvas.get_renderer()).transformed(fig.transFigure.inverted()).y0
    fig.text(0.01, bottom - 0.01, text, fontsize=7, va="top")


def _save(fig, out_dir: Path, name: str) -> str:
    """Write PNG and SVG; return the PNG as base64 for embedding."""
    fig.savefig(out_dir / f"{name}.svg", bbox_inches="tight")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    (out_dir / f"{name}.png").write_bytes(buf.getvalue())
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _family_markers(summaries) -> dict:
    return {f: MARKERS[i % len(MARKERS)] for i, f in enumerate(sorted({s.family for s in summaries}))}


def plot_frontier(summaries: list[ConfigSummary], lit: list[dict], title: str, x: str = "params"):
    fig, ax = plt.subplots(figsize=(8, 5.2))
    markers = _family_markers(summaries)
    xs = (lambda s: s.params) if x == "params" else (lambda s: s.macs or 1)
    for fam, mk in markers.items():
        pts = [s for s in summaries if s.family == fam]
        ax.errorbar([xs(s) for s in pts], [100 * s.test_mean for s in pts], yerr=[100 * s.test_std for s in pts],
                    fmt=mk, ms=6, alpha=0.8, capsize=2, label=fam)
    # The augmentation track admits stronger recipes than crop+flip: ring them so the plot says which points they are.
    stronger = [s for s in summaries if s.config.cutout]
    if stronger:
        ax.scatter([xs(s) for s in stronger], [100 * s.test_mean for s in stronger], s=180, facecolors="none",
                   edgecolors="dimgray", lw=1, label="with Cutout")
    front = frontier(summaries) if x == "params" else []
    if front:
        ax.step([s.params for s in front], [100 * s.test_mean for s in front], where="post", color="black", lw=1.2,
                label="front (chosen on validation)")
    if lit and x == "params":
        ax.scatter([r["params"] for r in lit], [100 * r["test_acc"] for r in lit], marker="*", s=150,
                   facecolors="none", edgecolors="crimson", label="published (key at top left)")
        # Numbered stars and a key: published points sit close together (ResNet-32/44/56, DenseNet-BC beside
        # ResNet-56), and their names written beside them ran into each other.
        lit = sorted(lit, key=lambda r: r["params"])
        for i, r in enumerate(lit, 1):
            ax.annotate(str(i), (r["params"], 100 * r["test_acc"]), fontsize=7, color="crimson", xytext=(7, 0),
                        textcoords="offset points", va="center")
        key = [f"{i}  {r['model']}, {r['params'] / 1e6:.2g}M, {100 * r['test_acc']:.2f}%"
               for i, r in enumerate(lit, 1)]
        ax.text(0.01, 0.99, "published (official data):\n" + "\n".join(key),
                transform=ax.transAxes, fontsize=7, color="crimson", va="top",
                bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.8})
    if front:  # zoom to the front's region; a collapsed run at chance would flatten the chart, so count it instead
        floor = max(0.0, 100 * min(s.test_mean for s in front) - 10)
        below = sum(1 for s in summaries if 100 * s.test_mean < floor)
        ax.set_ylim(bottom=floor)
        if below:
            ax.text(0.01, 0.01, f"{below} config(s) below {floor:.0f}% not shown", transform=ax.transAxes, fontsize=8)
    ax.set_xscale("log")
    ax.set_xlabel("parameters" if x == "params" else "MACs per image (convolutions and matrix products)")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return fig


def plot_optimizers(summaries: list[ConfigSummary], title: str):
    """Best config of each optimizer at each budget (chosen on validation as in optimizer_table), its test
    accuracy. Each bar says how many seeds it rests on and how many rates were tried for it: a one-rate bar is an
    untuned default, not an equal-effort comparison, and a one-seed bar has no error bar (no spread measured)."""
    by = {key: {opt: (scored[chosen_rate(scored)][1], len(scored)) for opt, scored in by_opt.items()}
          for key, by_opt in optimizer_rates(summaries).items()}
    groups = list(by)
    if not groups:
        return None
    optimizers = sorted({o for k in groups for o in by[k]})
    fig, ax = plt.subplots(figsize=(max(6, 1.2 * len(groups)), 4.8))
    width = 0.8 / len(optimizers)
    for j, opt in enumerate(optimizers):
        here = [(i, by[k][opt]) for i, k in enumerate(groups) if opt in by[k]]
        xs = [i + j * width for i, _ in here]
        ys = [100 * s.test_mean for _, (s, _) in here]
        es = [100 * s.test_std if len(s.test) > 1 else 0.0 for _, (s, _) in here]
        ax.bar(xs, ys, width, yerr=[e or float("nan") for e in es], capsize=2, label=opt)  # nan: no bar, no caps
        for x, y, e, (_, (s, tried)) in zip(xs, ys, es, here):
            ax.text(x, y + e + 0.3, f"{len(s.test)}s\n{tried}lr", ha="center", va="bottom", fontsize=6)
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(groups))])
    ax.set_xticklabels([f"{f}\n{format_count(b)}\n{r}" for b, f, r in groups], fontsize=8)
    lo = min(100 * s.test_mean for k in groups for s, _ in by[k].values())
    hi = max(100 * (s.test_mean + s.test_std) for k in groups for s, _ in by[k].values())
    ax.set_ylim(max(0, lo - 10), min(100, hi + 4))
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    _foot_note(fig, ax, "above each bar: seeds behind it (s), learning rates tried (lr); no error bar where one seed")
    return fig


def optimizer_table(summaries: list[ConfigSummary]) -> list[dict]:
    """Each optimizer's best learning rate (chosen on validation) at each budget, family and recipe it shares with
    another optimizer: the rates tried, the chosen one, and its accuracy over all its seeds."""
    rows = []
    for (budget, family, recipe), by_opt in optimizer_rates(summaries).items():
        for opt, scored in by_opt.items():
            rates = [c.config.peak_lr for _, c in scored]
            i = chosen_rate(scored)
            best = scored[i][1]
            edge = " (top of the grid)" if len(rates) > 1 and i == len(rates) - 1 else \
                " (bottom of the grid)" if len(rates) > 1 and i == 0 else ""
            rows.append({"budget": format_count(budget), "family": family, "recipe": recipe, "optimizer": opt,
                         "rates tried": ", ".join(f"{r:g}" for r in rates), "chosen lr": f"{rates[i]:g}{edge}",
                         "seeds": len(best.seeds),
                         "val acc %": format_accuracies(best.val),
                         "test acc %": format_accuracies(best.test)})
    return rows


def plot_learning_rates(summaries: list[ConfigSummary], title: str, most: int = 6):
    """Validation accuracy against learning rate, a line per optimizer: whether each optimizer's grid brackets its
    best rate, which equal tuning effort needs."""
    groups = list(optimizer_rates(summaries).items())[:most]
    if not groups:
        return None
    fig, axes = plt.subplots(1, len(groups), figsize=(4.2 * len(groups), 3.8), squeeze=False)
    # one colour per optimizer in every panel: the legend is drawn once
    colours = {opt: f"C{i}" for i, opt in enumerate(sorted({o for _, by_opt in groups for o in by_opt}))}
    for ax, ((budget, family, recipe), by_opt) in zip(axes[0], groups):
        for opt, scored in by_opt.items():
            line, = ax.plot([c.config.peak_lr for _, c in scored], [100 * v for v, _ in scored], marker="o", label=opt,
                            color=colours[opt])
            v, c = scored[chosen_rate(scored)]
            ax.plot([c.config.peak_lr], [100 * v], marker="*", ms=14, color=line.get_color())
        top = max(100 * v for scored in by_opt.values() for v, _ in scored)
        ax.set_ylim(max(0, top - 15), top + 1.5)
        ax.set_xscale("log")
        ax.set_xlabel("peak learning rate")
        ax.set_title(f"{family} {format_count(budget)}, {recipe}", fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
    axes[0][0].set_ylabel("validation accuracy (%)\n(seeds every rate has; star: chosen)")
    fig.legend(handles=[plt.Line2D([], [], color=c, marker="o", label=o) for o, c in colours.items()], fontsize=8,
               ncol=len(colours), frameon=False,
               loc="upper right")
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def plot_families(summaries: list[ConfigSummary], title: str):
    """The per-budget table as a picture: each family's best config (chosen on validation) at each budget, joined
    in budget order, so where one family overtakes another shows as lines crossing. None while no family has
    two budgets (nothing to join)."""
    best = family_best(summaries)
    by_family: dict[str, list[ConfigSummary]] = {}
    for (_, family), s in sorted(best.items()):
        by_family.setdefault(family, []).append(s)
    if not any(len(points) > 1 for points in by_family.values()):
        return None
    fig, ax = plt.subplots(figsize=(8, 5.2))
    markers = _family_markers(summaries)
    for family, points in sorted(by_family.items()):
        ax.errorbar([s.params for s in points], [100 * s.test_mean for s in points],
                    yerr=[100 * s.test_std for s in points], fmt=f"{markers[family]}-", ms=5, lw=1, capsize=2,
                    alpha=0.85, label=family)
    ax.set_xscale("log")
    ax.set_xlabel("parameters")
    ax.set_ylabel("test accuracy (%) of the family's best on validation")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    _foot_note(fig, ax, "each point: the family's best on validation of whatever was trained at that budget; "
               "recipes and tuning effort differ (the tables say which)")
    return fig


def plot_seeds(summaries: list[ConfigSummary], title: str):
    multi = sorted((s for s in summaries if len(s.test) > 1), key=lambda s: s.params)
    if not multi:
        return None
    # Each seed's distance from its config's mean: on one absolute axis, a collapsed config at chance would squash
    # every other spread into a line. The mean itself is in the tick label.
    fig, ax = plt.subplots(figsize=(8, 4))
    for i, s in enumerate(multi):
        ax.scatter([i] * len(s.test), [100 * (t - s.test_mean) for t in s.test], s=14, color="tab:blue")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(range(len(multi)))
    ax.set_xticklabels([f"{s.family}\n{format_count(s.params)}\n{100 * s.test_mean:.2f}%" for s in multi], fontsize=7)
    ax.set_ylabel("test accuracy minus the config's mean\n(points, one dot per seed)")
    ax.grid(True, axis="y", alpha=0.3)
    ax.set_title(title, fontsize=10)
    return fig


def front_table(summaries: list[ConfigSummary]) -> list[dict]:
    return [{"parameters": f"{s.params:,}", "family": s.family, "knobs": format_knobs(s.knobs),
             "optimizer": s.config.optimizer, "epochs": s.config.epochs, "seeds": len(s.seeds),
             "val acc %": format_accuracies(s.val),
             "test acc %": format_accuracies(s.test), "MACs": format_count(s.macs or 0),
             "reproduce": s.reproduce()} for s in frontier(summaries)]


def budget_table(summaries: list[ConfigSummary]) -> tuple[list[str], list[dict]]:
    """Rows: budgets; columns: families; cell: test accuracy of the family's best (on validation) config."""
    best = family_best(summaries)
    families = sorted({f for _, f in best})
    rows = []
    for budget in sorted({b for b, _ in best}):
        row = {"budget": format_count(budget)}
        for f in families:
            s = best.get((budget, f))
            row[f] = f"{format_accuracies(s.test)} ({format_count(s.params)})" if s else ""
        rows.append(row)
    return ["budget", *families], rows


def family_rate_table(summaries: list[ConfigSummary]) -> list[dict]:
    """The tuning behind each family's best config at each budget (the per-budget table's cells): every learning
    rate tried with exactly that config otherwise (same optimizer, epochs, augmentation, schedule, knobs, ...), and
    its validation accuracy over its seeds. Families compared at one rate each against a family whose rate was
    searched is not a fair comparison, and a chosen rate at the edge of those tried may have a better one beyond."""
    by_recipe: dict = {}  # each config without its rate (model and budget included) -> its configs, one per rate
    for s in summaries:
        by_recipe.setdefault(dataclasses.replace(s.config, lr=None), []).append(s)
    rows = []
    for (budget, family), best in sorted(family_best(summaries).items()):
        tried = sorted(by_recipe[dataclasses.replace(best.config, lr=None)], key=lambda s: s.config.peak_lr)
        rates = [s.config.peak_lr for s in tried]
        chosen = best.config.peak_lr
        edge = "" if len(rates) == 1 else " (top of those tried)" if chosen == rates[-1] else \
            " (bottom of those tried)" if chosen == rates[0] else ""
        extras = {k: v for k, v in best.config.non_default().items()
                  if k not in ("dataset", "model", "knobs", "budget", "optimizer", "lr", "epochs", "augment",
                               "select", "train_limit", "val_size", "method")}
        rows.append({"budget": format_count(budget), "family": family,
                     "recipe": ", ".join([best.config.optimizer, f"{best.config.epochs} epochs",
                                          *(f"{k} {v:g}" if isinstance(v, float) else f"{k} {v}"
                                            for k, v in sorted(extras.items()))]),
                     "val acc % by rate": ", ".join(
                         f"{s.config.peak_lr:g}: {100 * s.val_mean:.2f}" + (f" ({len(s.seeds)} seeds)"
                                                                              if len(s.seeds) > 1 else "")
                         for s in tried),
                     "chosen lr": f"{chosen:g}{edge}" if len(rates) > 1 else f"{chosen:g} (the only rate tried)"})
    return rows


def compute_summary(rows: list[dict]) -> str:
    """Runs and summed run time per device, from the runs themselves: what the page cost to make."""
    by_device: dict[str, list[float]] = {}
    for r in rows:
        device = r["device"] or "unknown device"
        env = json.loads(r["env_json"] or "{}")
        name = None
        if device.startswith("cuda"):
            name = env.get("cuda_device")
        elif device.startswith("cpu"):  # runs from before the CPU's name was recorded say only "cpu"
            name = ", ".join(filter(None, (env.get("cpu_model"), env.get("cpu_capability"))))
        by_device.setdefault(f"{device} ({name})" if name else device, []).append(r["wall_time_s"] or 0.0)
    return "; ".join(f"{len(times)} run(s) on {device}, {sum(times) / 3600:.1f} h of run time"
                     for device, times in sorted(by_device.items()))


def _html_table(rows: list[dict], columns: list[str] | None = None) -> str:
    if not rows:
        return "<p><em>no runs</em></p>"
    columns = columns or list(rows[0])
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>" for c in columns) + "</tr>"
                   for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _md_table(rows: list[dict], columns: list[str] | None = None) -> str:
    if not rows:
        return "_no runs_\n"
    columns = columns or list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "| " + " | ".join("---" for _ in columns) + " |"]
    lines += ["| " + " | ".join(str(r.get(c, "")).replace("|", "/") for c in columns) + " |" for r in rows]
    return "\n".join(lines) + "\n"


CSS = """body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;font-size:13px;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}
th{background:#f3f3f3}.caveat{background:#fff4e0;border-left:4px solid #e69500;padding:.5em 1em}
img{max-width:100%}code{font-size:12px}"""


RATES_HEADING = "Learning rates behind each family's best"
RATES_NOTE = ("Each cell of the per-budget table with the rates tried for its config (validation accuracy, mean over "
              "its seeds): a family tried at one rate is untuned next to one whose rate was searched, and a rate "
              "chosen at the edge of those tried may have a better one beyond.")


def build_report(rows: list[dict], dataset: str, out_dir: str | Path, method: str | None = None,
                 link_images: bool = False) -> dict:
    """Write `<out_dir>/<dataset>/report.html`, `summary.md`, and the plots; returns the paths written."""
    spec = get_spec(dataset)
    rows = filter_rows(rows, dataset=dataset, method=method)
    if not rows:
        raise SmallnetsError(f"no runs of dataset '{dataset}' in the results database")
    out = Path(out_dir) / dataset
    out.mkdir(parents=True, exist_ok=True)
    labels = sorted({r["data_label"] for r in rows if r["data_label"]})
    unofficial = sorted({r["data_label"] for r in rows if not r["data_official"]})
    shas = sorted({r["data_sha256"] for r in rows if r["data_sha256"]})
    title = f"smallnets: {' / '.join(labels) or spec.title}"
    caveat = ""
    if unofficial:
        caveat = (f"Results on {', '.join(unofficial)}: not the official data. The CIFAR-10 JPEG copy costs about 3 "
                  f"points of accuracy against the real CIFAR-10; compare with published numbers accordingly.")
    html_parts = [f"<h1>{html.escape(title)}</h1>"]
    md = [f"# {title}\n"]
    if caveat:
        html_parts.append(f"<p class='caveat'>{html.escape(caveat)}</p>")
        md.append(f"> **Data caveat.** {caveat}\n")
    note = (f"{len(rows)} runs; data sha256 {', '.join(s[:16] for s in shas)}. Choices are made on validation "
            f"accuracy; the numbers are test accuracy, mean ± std over seeds. Compute behind them: "
            f"{compute_summary(rows)}.")
    html_parts.append(f"<p>{html.escape(note)}</p>")
    md.append(note + "\n")
    images = {}

    def _img(alt: str, key: str) -> str:
        src = f"{key}.png" if link_images else f"data:image/png;base64,{images[key]}"
        return f"<img alt='{alt}' src='{src}'>"

    for (_, augment), track in tracks(rows).items():
        summaries = summarize(track)
        if not summaries:
            continue
        tag = "aug" if augment else "noaug"
        name = track_name(augment, summaries)
        lit = literature(dataset, augment)
        images[f"frontier_{tag}"] = _save(plot_frontier(summaries, lit, f"{title}, {name}"), out, f"frontier_{tag}")
        images[f"macs_{tag}"] = _save(plot_frontier(summaries, [], f"{title}, {name}: accuracy vs MACs", x="macs"),
                                      out, f"macs_{tag}")
        fig = plot_optimizers(summaries, f"optimizers at equal budget, {name}")
        if fig:
            images[f"optimizers_{tag}"] = _save(fig, out, f"optimizers_{tag}")
        fig = plot_learning_rates(summaries, f"learning rate per optimizer, {name}")
        if fig:
            images[f"lrs_{tag}"] = _save(fig, out, f"lrs_{tag}")
        fig = plot_families(summaries, f"each family's best per budget, {name}")
        if fig:
            images[f"families_{tag}"] = _save(fig, out, f"families_{tag}")
        fig = plot_seeds(summaries, f"seed spread, {name}")
        if fig:
            images[f"seeds_{tag}"] = _save(fig, out, f"seeds_{tag}")
        front = front_table(summaries)
        short = [r for r in front if r["seeds"] < CONFIRM_SEEDS]
        unsettled = (f"{len(short)} of the front's {len(front)} configs rest on fewer than {CONFIRM_SEEDS} seeds, "
                     f"so luck may have put them there: `smallnets confirm --seeds {CONFIRM_SEEDS}` trains their "
                     f"missing seeds and chooses again." if short else "")
        cols, per_budget = budget_table(summaries)
        rates = family_rate_table(summaries)
        html_parts += [f"<h2>{html.escape(name)}</h2>",
                       _img("frontier", f"frontier_{tag}"),
                       "<h3>The front</h3>", _html_table(front),
                       f"<p class='caveat'>{html.escape(unsettled)}</p>" if unsettled else "",
                       "<h3>Best of each family per budget (test %, parameters)</h3>", _html_table(per_budget, cols),
                       (_img("each family per budget", f"families_{tag}")
                        if f"families_{tag}" in images else ""),
                       f"<h3>{html.escape(RATES_HEADING)}</h3>", f"<p>{html.escape(RATES_NOTE)}</p>",
                       _html_table(rates),
                       _img("accuracy vs MACs", f"macs_{tag}")]
        md += [f"## {name}\n", f"![frontier](frontier_{tag}.png)\n", "### The front\n", _md_table(front),
               f"> {unsettled}\n" if unsettled else "",
               "### Best of each family per budget (test %, parameters)\n", _md_table(per_budget, cols),
               f"![families_{tag}](families_{tag}.png)\n" if f"families_{tag}" in images else "",
               f"### {RATES_HEADING}\n", RATES_NOTE + "\n", _md_table(rates)]
        for key, heading in ((f"optimizers_{tag}", "Optimizers at equal budget"),
                             (f"lrs_{tag}", "Learning rate per optimizer"), (f"seeds_{tag}", "Seed spread")):
            if key in images:
                html_parts += [f"<h3>{heading}</h3>", _img(key, key)]
                md += [f"### {heading}\n", f"![{key}]({key}.png)\n"]
            if key == f"lrs_{tag}" and key in images:
                table = optimizer_table(summaries)
                html_parts.append(_html_table(table))
                md.append(_md_table(table))
        if lit:
            lit_rows = [{"model": r["model"], "parameters": f"{r['params']:,}", "test acc %": f"{100 * r['test_acc']:.2f}",
                         "source": r["source"]} for r in lit]
            html_parts += ["<h3>Published reference points (official data)</h3>", _html_table(lit_rows)]
            md += ["### Published reference points (official data)\n", _md_table(lit_rows)]
    page = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{CSS}</style></head><body>{''.join(html_parts)}</body></html>")
    (out / "report.html").write_text(page)
    (out / "summary.md").write_text("\n".join(md))
    return {"html": out / "report.html", "markdown": out / "summary.md",
            "plots": sorted(str(p) for p in out.glob("*.png"))}

