#!/usr/bin/python3
"""Collects bench/results[/TAG]/<model>.<algo>[.seed<S>].jsonl (from
bench/fashion.sh) into a Markdown table (stdout) and one SVG with every run's
test-error curve (fashion.svg in the same directory).

A run's figures are those of its last epoch; with several seeds the table
gives the mean and every seed's value. A variant folder (TAG) need not repeat
runs whose setup the variant does not change: a (model, algorithm) it lacks is
taken from bench/results itself and marked (*): the BP rows of a variant
with fgc runs only (FLAGS), the fgc rows of a variant with BP runs only
(BP_FLAGS). For LocalMixer M/1/16 the
issue's three bars are checked on the seed means.

Usage: results_table.py [TAG]"""
import glob
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ORDER = ["bp", "lg-fg-a", "fg-a", "lg-fg-w", "fg-w", "readout"]
COLORS = {"bp": "#000000", "lg-fg-a": "#d62728", "fg-a": "#ff7f0e",
          "lg-fg-w": "#1f77b4", "fg-w": "#17becf", "readout": "#7f7f7f"}
NAME = re.compile(r"^([^.]+)\.([^.]+)(?:\.seed(\d+))?\.jsonl$")


def load(folder):
    """{(model, algo): {seed: rows}} for the runs in one folder."""
    runs = {}
    for path in glob.glob(os.path.join(folder, "*.jsonl")):
        m = NAME.match(os.path.basename(path))
        if not m:
            continue
        rows = [json.loads(l) for l in open(path) if l.strip()]
        if rows:
            runs.setdefault((m[1], m[2]), {})[int(m[3] or 0)] = rows
    return runs


def mean(values):
    return sum(values) / len(values)


def main():
    root = os.path.join(HERE, "results")
    folder = os.path.join(root, *sys.argv[1:2])
    runs = load(folder)
    borrowed = set()
    if folder != root:
        # A variant changes either the fgc runs (FLAGS) or the BP runs
        # (BP_FLAGS) of the models it has; the other side comes from root.
        mine = {m for m, _ in runs}
        has_bp = {m for m, a in runs if a == "bp"}
        for (model, algo), seeds in load(root).items():
            if model in mine and (algo == "bp") != (model in has_bp):
                runs[(model, algo)] = seeds
                borrowed.add((model, algo))
    models = sorted({m for m, _ in runs})
    final = {}  # (model, algo) -> mean test error
    print("| model | algorithm | seeds | train error | test error (mean) | test error per seed | examples/s |")
    print("|---|---|---|---|---|---|---|")
    for model in models:
        for algo in ORDER:
            seeds = runs.get((model, algo))
            if not seeds:
                continue
            last = [seeds[s][-1] for s in sorted(seeds)]
            test = mean([r["test_error"] for r in last])
            final[(model, algo)] = test
            name = "BP (PyTorch)" if algo == "bp" else algo
            if (model, algo) in borrowed:
                name += " (*)"
            speed = mean([mean([x["examples_per_second"] for x in rows]) for rows in seeds.values()])
            per_seed = ", ".join(f"{100 * r['test_error']:.2f}" for r in last)
            print(f"| {model} | {name} | {len(seeds)} | {100 * mean([r['train_error'] for r in last]):.2f}% | "
                  f"{100 * test:.2f}% | {per_seed} | "
                  f"{speed:.0f} |")
    if borrowed:
        print("\n(*) from bench/results: the variant does not change this run's setup.")
    fg = [a for a in ["lg-fg-a", "fg-a", "lg-fg-w", "fg-w"] if ("m_1_16", a) in final]
    if ("m_1_16", "lg-fg-a") in final and ("m_1_16", "bp") in final:
        t = {a: 100 * final[("m_1_16", a)] for a in ORDER if ("m_1_16", a) in final}
        print("\nM/1/16 bars (seed means):")
        print(f"- LG-FG-A <= BP + 3.0: {t['lg-fg-a']:.2f} vs {t['bp']:.2f} + 3.0 "
              f"(gap {t['lg-fg-a'] - t['bp']:.2f}): {'met' if t['lg-fg-a'] <= t['bp'] + 3 else 'NOT met'}")
        if len(fg) > 1:
            best = min(fg, key=lambda a: t[a])
            print(f"- LG-FG-A best of {', '.join(fg)}: best is {best} ({t[best]:.2f}): "
                  f"{'met' if best == 'lg-fg-a' else 'NOT met'}")
        if "readout" in t:
            print(f"- LG-FG-A >= 2 points better than readout: {t['readout']:.2f} - {t['lg-fg-a']:.2f} = "
                  f"{t['readout'] - t['lg-fg-a']:.2f}: {'met' if t['readout'] - t['lg-fg-a'] >= 2 else 'NOT met'}")
    # One plot: test error per epoch (every seed), one panel per model.
    w, h, pad = 420, 300, 50
    svg = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{w * len(models)}' "
           f"height='{h}' font-family='sans-serif' font-size='11'>",
           "<rect width='100%' height='100%' fill='white'/>"]
    for i, model in enumerate(models):
        x0 = i * w
        series = {a: seeds for (m, a), seeds in runs.items() if m == model}
        every = [rows for seeds in series.values() for rows in seeds.values()]
        top = max(max(r["test_error"] for r in rows) for rows in every)
        top = min(1.0, max(0.1, top * 1.1))
        n = max(r["epoch"] for rows in every for r in rows)
        fx = lambda e: x0 + pad + (w - 1.5 * pad) * e / max(n, 1)
        fy = lambda v: 30 + (h - 30 - pad) * (1 - v / top)
        svg.append(f"<text x='{x0 + w / 2}' y='18' text-anchor='middle'>{model}: test error "
                   f"per epoch (Fashion-MNIST)</text>")
        for k in range(5):
            v = top * k / 4
            svg.append(f"<line x1='{x0 + pad}' x2='{x0 + w - pad / 2}' y1='{fy(v)}' "
                       f"y2='{fy(v)}' stroke='#ddd'/><text x='{x0 + pad - 4}' y='{fy(v) + 4}' "
                       f"text-anchor='end'>{100 * v:.0f}%</text>")
        for j, algo in enumerate(a for a in ORDER if a in series):
            for rows in series[algo].values():
                pts = " ".join(f"{fx(r['epoch'])},{fy(r['test_error'])}" for r in rows)
                svg.append(f"<polyline fill='none' stroke='{COLORS[algo]}' stroke-width='1.5' "
                           f"stroke-opacity='0.8' points='{pts}'/>")
            svg.append(f"<text x='{x0 + w - 120}' y='{45 + 13 * j}' fill='{COLORS[algo]}'>"
                       f"{algo} ({len(series[algo])} seed{'s' if len(series[algo]) > 1 else ''})</text>")
    svg.append("</svg>")
    with open(os.path.join(folder, "fashion.svg"), "w") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main()
