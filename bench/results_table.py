#!/usr/bin/python3
"""Collects bench/results[/TAG]/<model>.<algo>.jsonl (from bench/fashion.sh)
into a Markdown table (stdout) and one SVG with every run's test-error curve
(fashion.svg in the same directory). Usage: results_table.py [TAG]"""
import glob
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
ORDER = ["bp", "lg-fg-a", "fg-a", "lg-fg-w", "fg-w", "readout"]
COLORS = {"bp": "#000000", "lg-fg-a": "#d62728", "fg-a": "#ff7f0e",
          "lg-fg-w": "#1f77b4", "fg-w": "#17becf", "readout": "#7f7f7f"}


def main():
    import sys
    folder = os.path.join(HERE, "results", *sys.argv[1:2])
    runs = {}
    for path in glob.glob(os.path.join(folder, "*.jsonl")):
        model, algo = os.path.basename(path)[:-6].split(".", 1)
        rows = [json.loads(l) for l in open(path) if l.strip()]
        if rows:
            runs[(model, algo)] = rows
    print("| model | algorithm | epochs | train error | test error | examples/s |")
    print("|---|---|---|---|---|---|")
    for model in sorted({m for m, _ in runs}):
        for algo in ORDER:
            rows = runs.get((model, algo))
            if not rows:
                continue
            r = rows[-1]
            print(f"| {model} | {'BP (PyTorch)' if algo == 'bp' else algo} | {r['epoch']} | "
                  f"{100 * r['train_error']:.2f}% | {100 * r['test_error']:.2f}% | "
                  f"{sum(x['examples_per_second'] for x in rows) / len(rows):.0f} |")
    # One plot: test error per epoch, one panel per model.
    models = sorted({m for m, _ in runs})
    w, h, pad = 420, 300, 50
    svg = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{w * len(models)}' "
           f"height='{h}' font-family='sans-serif' font-size='11'>",
           "<rect width='100%' height='100%' fill='white'/>"]
    for i, model in enumerate(models):
        x0 = i * w
        series = {a: rows for (m, a), rows in runs.items() if m == model}
        top = max(max(r["test_error"] for r in rows) for rows in series.values())
        top = min(1.0, max(0.1, top * 1.1))
        n = max(r["epoch"] for rows in series.values() for r in rows)
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
            pts = " ".join(f"{fx(r['epoch'])},{fy(r['test_error'])}" for r in series[algo])
            svg.append(f"<polyline fill='none' stroke='{COLORS[algo]}' stroke-width='2' "
                       f"points='{pts}'/><text x='{x0 + w - 120}' y='{45 + 13 * j}' "
                       f"fill='{COLORS[algo]}'>{algo}</text>")
    svg.append("</svg>")
    with open(os.path.join(folder, "fashion.svg"), "w") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main()
