#!/usr/bin/python3
"""CPU step time, throughput and memory of fgc trainers against eager PyTorch 1.13
(issue 15, point 1), all measured in one run on the same machine state.

For each model (the MLP, LocalMixer M/1/16, M/8/16; batch 128 by default):
  * `fgc compile --algo=A` wall time (the table shows lg-fg-a, K = 1; JSON has all);
  * fgc trainer step time for lg-fg-a with K = 1, 4, 16 tangents, fg-a, lg-fg-w, fg-w,
    readout (and bp when this fgc offers it), 1 BLAS thread; lg-fg-a K = 1 also with 2;
  * PyTorch step time: BP (the models/localmixer.py nn.Module, autograd, SGD momentum 0.9;
    1 and 2 threads) and LG-FG-A (the project's own reference of the method,
    test/e2e/fg_reference.py: functorch.jvp forward mode, the spec's naive replicated
    local heads, then SGD momentum 0.9; 1 thread). That reference is written for
    exactness, not speed: it runs the forward pass three times per step;
  * peak resident memory (/usr/bin/time's %M) of every whole training process;
  * achieved GFLOP/s against the single-core fp32 peak of an FMA loop (a small C program
    compiled here with cc -O3 -march=native: 12 independent vector FMA chains).

Timing. Data are random, in the real file formats (test/e2e/datasets.py: IDX 28x28 grey
for the MLP and M/1/16, CIFAR-10 binary for M/8/16), sized so that an epoch is exactly
--steps steps; each process runs --reps epochs. The trainer writes per epoch the seconds
of its step loop (`seconds` in --metrics: steps only, not data loading, evaluation or
checkpoints; the next batch is gathered on a second thread while the step runs). The
PyTorch workers (this script run with --worker) time their steps the same way. A run's
figure is the median over its epochs of ms per step, the first epoch (warm-up) left out
when there are two or more. The runs the bars compare (fgc lg-fg-a K = 1 and PyTorch BP,
1 and 2 threads) are made --rounds times (default 3), interleaved: their figure is the
median over the rounds, and a ratio between two of them the median of the rounds' own
ratios, so that load coming and going on a shared machine moves both sides of a ratio.

Threads. The trainer's --threads sets its OpenMP threads: the generated loops large
enough to pay for a fork run on them, and the large matrix products are split over them
(each part a single-threaded OpenBLAS call). Every child also gets OPENBLAS/OMP/MKL_NUM_THREADS, and the PyTorch
workers torch.set_num_threads. The BLAS PyTorch really calls is read from the libraries
mapped into the worker (/proc/self/maps), next to torch.__config__'s BLAS_INFO.

FLOP convention. F = 2 x the multiply-adds of the model's forward pass at the batch size
(matrix products and convolutions, counted by running the models/localmixer.py module
under a dispatch mode; local heads not counted). A BP step
counts 3F, and so does a forward-gradient step with one tangent (the forward pass, one JVP,
one weight-gradient product); readout F. With K > 1 tangents the count depends on the
partition (a local-loss tangent runs through its own block and head only): no GFLOP/s.
GFLOP/s = those FLOPs / step time; "% peak" relates it to the FMA loop's figure. Every fgc
row also gets "products GFLOP": 2 M N K summed over the matrix products of the compiled
@train_step (`fgc compile --emit=linalg`), which counts what the partition, the K stacked
tangents and the weight gradients really multiply; their K=16 / K=1 ratio is the floor of
the step-time ratio were every step all products at one efficiency.

Usage: bench/cpu_steps.py [--models mlp,m_1_16,m_8_16] [--steps N] [--reps R]
           [--rounds 3] [--batch 128] [--algos lg-fg-a,fg-a,...] [--quick] [--out FILE] [--fgc PATH]
Prints a Markdown table on stdout (progress on stderr); writes JSON (default
bench/results/cpu_steps.json).
"""
import argparse
import importlib.util
import json
import math
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
# name -> (label, data set format, default steps per epoch, default epochs)
MODELS = {"mlp": ("MLP 784-256-256-10", "mnist", 50, 5),
          "m_1_16": ("LocalMixer M/1/16", "mnist", 50, 5),
          "m_8_16": ("LocalMixer M/8/16", "cifar10", 3, 3)}
TIME = "/usr/bin/time"  # Debian's `time`: the peak RSS of one process
ALGOS = ["lg-fg-a", "fg-a", "lg-fg-w", "fg-w", "readout", "bp"]
TANGENTS = [1, 4, 16]  # for lg-fg-a


def die(msg):
    sys.exit(f"cpu_steps.py: error: {msg}")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run_child(cmd, threads=None, timeout=1800):
    """Runs cmd; returns (exit status, output text, wall seconds, peak RSS in MB).
    The RSS comes from /usr/bin/time, whose child is forked from that small process:
    Linux carries ru_maxrss across exec, so wait4 or RUSAGE_CHILDREN on a child forked
    straight from this (large, torch-importing) Python would report our own size."""
    env = dict(os.environ)
    if threads:
        for v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[v] = str(threads)
    with tempfile.TemporaryFile("w+") as out, tempfile.NamedTemporaryFile("r") as rss:
        t0 = time.perf_counter()
        p = subprocess.Popen([TIME, "-f", "%M", "-o", rss.name] + cmd, stdout=out,
                             stderr=subprocess.STDOUT, env=env, start_new_session=True)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:  # time and the command: one process group
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
        secs = time.perf_counter() - t0
        out.seek(0)
        kb = rss.read().split()
        return (p.returncode, out.read(), secs,
                int(kb[-1]) / 1024.0 if kb and kb[-1].isdigit() else None)


BLAS_CORE_PROBE = ("import ctypes; l = ctypes.CDLL('libopenblas.so.0'); "
                   "l.openblas_get_corename.restype = ctypes.c_char_p; "
                   "print(l.openblas_get_corename().decode())")


def same_blas_kernels():
    """fgc's programs re-execute themselves with OPENBLAS_CORETYPE when OpenBLAS
    falls back to its SSE3 'Prescott' kernels on a CPU it does not know
    (include/fgc/Runtime/Call.h, useNativeBlasKernels); PyTorch does not.
    Sets the same choice here, for every child, so both sides run the same
    kernels. Returns the kernels OpenBLAS uses."""
    core = subprocess.run([sys.executable, "-c", BLAS_CORE_PROBE], capture_output=True,
                          text=True).stdout.strip() or "?"
    if "OPENBLAS_CORETYPE" in os.environ or core.lower() != "prescott":
        return core
    with open("/proc/cpuinfo") as f:
        flags = set(re.search(r"flags\s*:\s*(.*)", f.read()).group(1).split())
    native = "SkylakeX" if "avx512f" in flags else "Haswell" if "avx2" in flags else None
    if native:
        log(f"note: OpenBLAS picked its {core} kernels for this CPU; every process of "
            f"this run gets OPENBLAS_CORETYPE={native}, as fgc's programs choose")
        os.environ["OPENBLAS_CORETYPE"] = native
        return native
    return core


def last_line(text):
    """The message of a failed command: its last line, or what precedes LLVM's
    crash report (a stack dump) when there is one."""
    lines = [l.strip() for l in text.strip().splitlines() if l.strip()]
    crash = [i for i, l in enumerate(lines) if l.startswith(("PLEASE submit", "Stack dump"))]
    if crash:
        lines = lines[:crash[0]] or ["crashed"]
        return " ".join(lines)[:200]
    return lines[-1][:200] if lines else "no output"


FMA_C = r"""
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#if defined(__AVX512F__)
#define W 16
#elif defined(__AVX__)
#define W 8
#else
#define W 4
#endif
#define CHAINS 12 /* > FMA latency x FMA ports, and fits the 16 AVX2 registers */
typedef float vf __attribute__((vector_size(W * 4)));
int main(int argc, char **argv) {
  long iters = (long)strtod(argv[1], 0);
  vf acc[CHAINS], b, c;
  double s, sum = 0;
  struct timespec t0, t1;
  for (int i = 0; i < W; i++) { b[i] = 0.9999f; c[i] = 1e-4f; }
  for (int j = 0; j < CHAINS; j++) for (int i = 0; i < W; i++) acc[j][i] = j + i;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long n = 0; n < iters; n++)
    for (int j = 0; j < CHAINS; j++) acc[j] = acc[j] * b + c; /* one FMA each */
  clock_gettime(CLOCK_MONOTONIC, &t1);
  s = (t1.tv_sec - t0.tv_sec) + 1e-9 * (t1.tv_nsec - t0.tv_nsec);
  for (int j = 0; j < CHAINS; j++) for (int i = 0; i < W; i++) sum += acc[j][i];
  printf("%d %.3f %g\n", W * 32, 2.0 * W * CHAINS * iters / s / 1e9, sum);
}
"""


def fma_peak(tmp, quick):
    """Single-core fp32 FMA throughput in GFLOP/s (best of 3 runs)."""
    src, exe = os.path.join(tmp, "fma.c"), os.path.join(tmp, "fma")
    with open(src, "w") as f:
        f.write(FMA_C)
    p = subprocess.run(["cc", "-O3", "-march=native", "-ffp-contract=fast", src, "-o", exe],
                       capture_output=True, text=True)
    if p.returncode:
        die(f"cc could not build the FMA loop: {last_line(p.stderr)}")
    best, bits = 0.0, 0
    for _ in range(3):
        out = subprocess.run([exe, "3e7" if quick else "2e8"], capture_output=True,
                             text=True, check=True).stdout.split()
        bits, best = int(out[0]), max(best, float(out[1]))
    return {"gflops": best, "vector_bits": bits, "flags": "cc -O3 -march=native"}


def forward_macs(name, batch):
    """Multiply-adds of one forward pass at the batch size: the models/localmixer.py
    module (which models/export.py exports) run once under a dispatch mode that adds
    up the aten matrix products and convolutions it calls."""
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode
    sys.path.insert(0, os.path.join(ROOT, "models"))
    import localmixer
    torch.set_num_threads(1)
    total = [0]

    class Count(TorchDispatchMode):
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            out = func(*args, **(kwargs or {}))
            op = func.overloadpacket.__name__
            if op in ("mm", "bmm"):            # [.., M, K] x [.., K, N]
                total[0] += out.numel() * args[0].shape[-1]
            elif op == "addmm":                # bias + [M, K] x [K, N]
                total[0] += out.numel() * args[1].shape[-1]
            elif op == "convolution":          # per output: Cin/groups x kernel
                total[0] += out.numel() * args[1][0].numel()
            return out
    model, shape = localmixer.build(name)
    with torch.no_grad(), Count():
        model(torch.rand(batch, *shape))
    return total[0]


def make_data(kind, d, n_train, batch):
    sys.path.insert(0, os.path.join(ROOT, "test", "e2e"))
    from datasets import make_cifar_like, make_mnist_like
    if kind == "mnist":
        make_mnist_like(d, train=n_train, test=batch)
    else:  # five batches: floor(5 * per_batch / batch) = n_train / batch steps
        make_cifar_like(d, per_batch=-(-n_train // 5), test=batch)


def product_flops(fgc, path, batch, algo, k, timeout):
    """FLOPs of every matrix product in the compiled training step (2 M N K
    of each linalg.matmul / batch_matmul of @train_step at --emit=linalg),
    or None: the count the partition, the stacked tangents and the weight
    gradients really ask for, next to the model-level convention."""
    cmd = [fgc, "compile", path, "--batch-size", str(batch), "--algo", algo,
           "--emit=linalg", "-o", "-"] + (["--tangents", str(k)] if algo == "lg-fg-a" else [])
    try:
        text = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout).stdout
    except subprocess.TimeoutExpired:
        return None
    start = text.find("func.func @train_step(")
    if start < 0:
        return None
    body = text[start:text.find("\n  }\n", start)]
    total = 0
    for m in re.finditer(r"linalg\.(?:batch_)?matmul\b.*?ins\(([^)]*)\)\s*outs\(([^)]*)\)", body):
        dims = lambda t: [int(d) for d in t.split("x")]  # noqa: E731
        ins = [dims(t) for t in re.findall(r"tensor<([\dx]+)x\w+>", m.group(1))]
        out = dims(re.findall(r"tensor<([\dx]+)x\w+>", m.group(2))[0])
        b = ins[1]  # [.., K, N] or its transpose: K = |B| / (batch(B) N)
        contraction = math.prod(b) // (math.prod(b[:-2]) * out[-1])
        total += 2 * math.prod(out) * contraction
    return total


def median_ms(epoch_seconds, steps):
    ms = [1000.0 * s / steps for s in epoch_seconds]
    return statistics.median(ms[1:] if len(ms) > 1 else ms), ms


def fgc_train(exe, data, kind, steps, reps, threads, tmp, timeout):
    metrics = os.path.join(tmp, "m.jsonl")
    if os.path.exists(metrics):
        os.remove(metrics)
    rc, out, wall, rss = run_child(
        # A small learning rate: the data are random and only the time counts
        # (the MLP's FG-W diverges at 0.01 on any data).
        [exe, "--data", data, "--dataset", kind, "--epochs", str(reps), "--lr", "0.0001",
         "--threads", str(threads), "--seed", "0", "--metrics", metrics,
         "--plot", os.path.join(tmp, "m.svg"), "--eval-every", str(reps),
         "--divergence-factor", "0", "--quiet"], threads, timeout)
    if rc:
        return {"error": f"train: exit {rc}: {last_line(out)}"}
    with open(metrics) as f:
        secs = [json.loads(l)["seconds"] for l in f if l.strip()]
    ms, per_epoch = median_ms(secs, steps)
    return {"ms": ms, "epoch_ms": per_epoch, "rss_mb": rss, "wall_s": wall}


def torch_run(args, model, impl, threads, timeout):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", impl, "--models", model,
           "--steps", str(args.steps_of[model]), "--reps", str(args.reps_of[model]),
           "--batch", str(args.batch), "--threads", str(threads), "--opset", args.opset]
    rc, out, wall, rss = run_child(cmd, threads, timeout)
    if rc:
        return {"error": f"torch {impl}: exit {rc}: {last_line(out)}"}
    r = json.loads(out.strip().splitlines()[-1])
    r.update(rss_mb=rss, wall_s=wall)
    return r


# The runs the bars compare, in the order each round repeats them: fgc's
# LG-FG-A step with one tangent and PyTorch's BP step, on 1 and 2 threads.
HEAD_TO_HEAD = [("fgc lg-fg-a K=1", 1), ("PyTorch bp", 1), ("fgc lg-fg-a K=1 2T", 2),
                ("PyTorch bp 2T", 2)]


def head_to_head(args, runs, model, exe, data, kind, steps, reps, tmp):
    """Repeats the HEAD_TO_HEAD runs args.rounds - 1 more times, interleaved, so
    that a ratio compares runs made back to back: load that comes and goes on a
    shared machine moves both sides of a round. Each run's "ms" becomes the
    median over its rounds, "round_ms" keeps every round's figure (None for a
    failed one) and "rss_mb" the largest peak."""
    first = {key: runs.get(key, {}) for key, _ in HEAD_TO_HEAD}
    rounds = {key: [run.get("ms")] for key, run in first.items()}
    for rnd in range(2, args.rounds + 1):
        for key, threads in HEAD_TO_HEAD:
            if "error" in first[key] or "ms" not in first[key] or (
                    key.startswith("fgc") and exe is None):
                continue
            log(f"{model}: round {rnd}/{args.rounds}: {key} ...")
            if key.startswith("fgc"):
                run = fgc_train(exe, data, kind, steps, reps, threads, tmp, args.timeout)
            else:
                run = torch_run(args, model, "bp", threads, args.timeout)
            rounds[key].append(run.get("ms"))
            if run.get("rss_mb"):
                first[key]["rss_mb"] = max(first[key].get("rss_mb") or 0, run["rss_mb"])
    if exe:
        os.remove(exe)
    for key, ms in rounds.items():
        done = [x for x in ms if x is not None]
        if done and "error" not in first[key]:
            first[key].update(ms=statistics.median(done), round_ms=ms)


def worker(args):
    """One PyTorch training process: prints {"ms", "epoch_ms", "blas", ...}."""
    import torch
    import torch.nn.functional as F
    sys.path[:0] = [os.path.join(ROOT, "models"), os.path.join(ROOT, "test", "e2e")]
    import localmixer
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    name, b, steps = args.models, args.batch, args.steps
    shape = localmixer.build(name)[1]
    xs = torch.rand(steps * b, *shape)
    ys = torch.randint(0, 10, (steps * b,))
    lr = 0.01
    if args.worker == "bp":
        model = localmixer.build(name)[0]
        opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)

        def step(x, y):
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    else:  # lg-fg-a: the project's reference (update directions), then SGD momentum
        import fg_reference as ref
        m = ref.MODELS[name]
        p = ref.random_params(m, os.path.join(ROOT, "models", f"{name}.opset{args.opset}.onnx"), 0)
        sites = {k: v.shape for k, v in
                 ref.draw_tangents(m, p, xs[:b], ys[:b], "lg-fg-a", 0).items()}
        moms = {}

        def step(x, y):
            tangents = {k: torch.randn(s) for k, s in sites.items()}
            for k, g in ref.reference(m, "lg-fg-a", p, x, y, tangents).items():
                moms[k] = moms[k].mul_(0.9).add_(g) if k in moms else g.clone()
                p[k].sub_(lr * moms[k])
    epoch_s = []
    for _ in range(args.reps):
        order, total = torch.randperm(steps * b), 0.0
        for s in range(steps):
            i = order[s * b:(s + 1) * b]
            x, y = xs[i], ys[i]
            t0 = time.perf_counter()
            step(x, y)
            total += time.perf_counter() - t0
        epoch_s.append(total)
    ms, per_epoch = median_ms(epoch_s, steps)
    with open("/proc/self/maps") as f:  # the BLAS really loaded
        libs = sorted({l.split()[-1] for l in f if re.search(r"blas|mkl|blis", l)})
    info = re.search(r"BLAS_INFO=(\w+)", torch.__config__.show())
    kind = ("openblas" if any("openblas" in l for l in libs) else
            "mkl" if any("mkl" in l for l in libs) else "other")
    print(json.dumps({"ms": ms, "epoch_ms": per_epoch, "blas": kind, "blas_libs": libs,
                      "blas_info": info.group(1) if info else None,
                      "threads": torch.get_num_threads(), "torch": torch.__version__,
                      "config": torch.__config__.show()}))


def fmt(v, spec=".2f"):
    return "—" if v is None else format(v, spec)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="mlp,m_1_16,m_8_16")
    ap.add_argument("--algos", default=",".join(ALGOS),
                    help="fgc algorithms (bp only where this fgc offers it)")
    ap.add_argument("--steps", type=int, help="steps per epoch (default per model)")
    ap.add_argument("--reps", type=int, help="epochs per process (default per model)")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--opset", default="17", help="models/<name>.opset<N>.onnx")
    ap.add_argument("--quick", action="store_true",
                    help="2 epochs of 2 steps, one round (smoke test)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="times the runs the bars compare (fgc lg-fg-a K=1 and PyTorch BP, "
                         "1 and 2 threads) are made, interleaved (default 3)")
    ap.add_argument("--fgc", default=os.path.join(ROOT, "build", "bin", "fgc"))
    ap.add_argument("--out", default=os.path.join(HERE, "results", "cpu_steps.json"))
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per process")
    ap.add_argument("--render", action="store_true",
                    help="print the tables of --out without measuring")
    ap.add_argument("--update", action="store_true",
                    help="keep the models of an existing --out that this run does not measure")
    ap.add_argument("--worker", choices=["bp", "lg-fg-a"], help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.rounds < 1:
        die(f"--rounds must be at least 1, not {args.rounds}")
    if args.worker:
        return worker(args)
    if args.render:  # the tables of an existing JSON, nothing measured
        with open(args.out) as f:
            res = json.load(f)
        rerate(res)
        return print_tables(res)
    for mod in ("torch", "functorch", "onnx", "numpy"):
        if importlib.util.find_spec(mod) is None:
            die(f"no Python module '{mod}' in {sys.executable} (run with /usr/bin/python3)")
    models = args.models.split(",")
    for m in models:
        if m not in MODELS:
            die(f"unknown model '{m}' (known: {', '.join(MODELS)})")
        path = os.path.join(ROOT, "models", f"{m}.opset{args.opset}.onnx")
        if not os.path.isfile(path):
            die(f"model not found: {path} (models/export.py writes it)")
    if not (os.path.isfile(args.fgc) and os.access(args.fgc, os.X_OK)):
        die(f"fgc binary not found: {args.fgc} (build it with ./build.sh)")
    if not os.access(TIME, os.X_OK):
        die(f"{TIME} not found (apt-get install time): it measures peak RSS")
    if not shutil.which("cc"):
        die("no C compiler 'cc' on PATH (needed for the FMA peak loop)")
    help_text = subprocess.run([args.fgc, "compile", "--help"], capture_output=True,
                               text=True).stdout
    algos = [a for a in args.algos.split(",") if f"={a} " in help_text]
    for a in set(args.algos.split(",")) - set(algos):
        log(f"note: this fgc has no --algo={a}; skipped")
    if args.quick:
        args.rounds = 1
    args.steps_of = {m: 2 if args.quick else args.steps or MODELS[m][2] for m in models}
    args.reps_of = {m: 2 if args.quick else args.reps or MODELS[m][3] for m in models}
    with open("/proc/cpuinfo") as f:
        cpu = re.search(r"model name\s*:\s*(.*)", f.read())
    res = {"date": time.strftime("%Y-%m-%d %H:%M:%S"), "batch": args.batch,
           "command": " ".join(sys.argv), "models": {},
           "blas_core": same_blas_kernels(),
           "machine": {"cpu": cpu.group(1) if cpu else "?", "cores": os.cpu_count(),
                       "load_average": os.getloadavg()}}
    if os.getloadavg()[0] > 0.5:
        log(f"warning: load average {os.getloadavg()[0]:.2f}: other work shares the cores "
            "(the 2-thread figures suffer most)")
    with tempfile.TemporaryDirectory() as tmp:
        log("FMA peak ...")
        res["peak"] = fma_peak(tmp, args.quick)
        for m in models:
            label, kind, _, _ = MODELS[m]
            steps, reps = args.steps_of[m], args.reps_of[m]
            path = os.path.join(ROOT, "models", f"{m}.opset{args.opset}.onnx")
            data = os.path.join(tmp, f"data_{m}")
            make_data(kind, data, steps * args.batch, args.batch)
            fwd = 2.0 * forward_macs(m, args.batch)
            r = res["models"][m] = {"label": label, "forward_gflop": fwd / 1e9,
                                    "steps": steps, "reps": reps, "runs": {}}
            head_exe = None
            variants = [(a, k) for a in algos for k in (TANGENTS if a == "lg-fg-a" else [1])]
            for a, k in variants:
                key = f"fgc {a}" + (f" K={k}" if a == "lg-fg-a" else "")
                exe = os.path.join(tmp, f"train_{m}_{a}_{k}")
                log(f"{m}: fgc compile --algo={a}" + (f" --tangents={k}" if a == "lg-fg-a" else "")
                    + " ...")
                rc, out, secs, _ = run_child(
                    [args.fgc, "compile", path, "--batch-size", str(args.batch),
                     "--algo", a, "-o", exe] + (["--tangents", str(k)] if a == "lg-fg-a" else []),
                    timeout=args.timeout)
                if rc:
                    r["runs"][key] = {"error": f"compile: exit {rc}: {last_line(out)}"}
                    continue
                products = product_flops(args.fgc, path, args.batch, a, k, args.timeout)
                for t in ([1, 2] if (a, k) == ("lg-fg-a", 1) else [1]):
                    log(f"{m}: {key}, {t} thread(s), {reps} x {steps} steps ...")
                    run = fgc_train(exe, data, kind, steps, reps, t, tmp, args.timeout)
                    run.update(compile_s=secs, threads=t, product_flops=products)
                    r["runs"][key + (f" {t}T" if t > 1 else "")] = run
                if (a, k) == ("lg-fg-a", 1):
                    head_exe = exe  # run again in the rounds below
                else:
                    os.remove(exe)
            for impl, threads in (("bp", 1), ("bp", 2), ("lg-fg-a", 1)):
                log(f"{m}: PyTorch {impl}, {threads} thread(s) ...")
                run = torch_run(args, m, impl, threads, args.timeout)
                run.update(threads=threads)
                r["runs"][f"PyTorch {impl}" + (f" {threads}T" if threads > 1 else "")] = run
            head_to_head(args, r["runs"], m, head_exe, data, kind, steps, reps, tmp)
            r["rounds"] = args.rounds
            r["ratios"] = ratios(r["runs"])
    torch_info = next((run for r in res["models"].values() for run in r["runs"].values()
                       if run.get("blas")), {})
    res["torch"] = {k: torch_info.get(k) for k in ("torch", "blas", "blas_libs",
                                                   "blas_info", "config")}
    if torch_info:
        log(torch_info["config"])
    for r in res["models"].values():  # the config is recorded once
        for run in r["runs"].values():
            run.pop("config", None)
    if args.update and os.path.exists(args.out):
        with open(args.out) as f:
            old = json.load(f)
        for m, r in old.get("models", {}).items():
            if m not in res["models"]:
                r["measured"] = old.get("date")
                res["models"][m] = r
        res["models"] = {m: res["models"][m] for m in MODELS if m in res["models"]}
    rerate(res)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(res, f, indent=1)
    print_tables(res)
    log(f"wrote {args.out}")


def step_flops(algo, k):
    """FLOPs of one step in units of F (the forward pass), or None: BP (the
    two products of the backward pass) and a forward-gradient step with one
    tangent (one JVP, one weight-gradient product) 3F, readout F. With K > 1
    tangents the count depends on the partition (a local-loss tangent only
    runs through its own block and head), so none is claimed."""
    if algo == "readout":
        return 1
    return 3 if k == 1 else None


def rate(run, fwd, peak, algo, k):
    """Fills a run's FLOPs, GFLOP/s and % of peak (None where not counted)."""
    units = step_flops(algo, k)
    run["flops"] = None if units is None else fwd * units
    ok = "ms" in run and units is not None
    run["gflops"] = run["flops"] / run["ms"] / 1e6 if ok else None
    run["pct_peak"] = 100 * run["gflops"] / peak if ok else None


def rerate(res):
    """One FLOP convention for every row, from the run keys."""
    for r in res["models"].values():
        for key, run in r["runs"].items():
            kind = re.match(r"(fgc|PyTorch) (\S+)(?: K=(\d+))?", key)
            algo = kind[2] if kind[1] == "fgc" else "bp"
            rate(run, 1e9 * r["forward_gflop"], res["peak"]["gflops"], algo,
                 int(kind[3] or 1))


def ratios(runs):
    ms = lambda k: runs.get(k, {}).get("ms")  # noqa: E731
    rss = lambda k: runs.get(k, {}).get("rss_mb")  # noqa: E731
    pf = lambda k: runs.get(k, {}).get("product_flops")  # noqa: E731
    div = lambda a, b: a / b if a and b else None  # noqa: E731
    k1 = "fgc lg-fg-a K=1"

    def paired(a, b):
        """Median and range of a / b over the rounds that measured both."""
        ra, rb = runs.get(a, {}).get("round_ms"), runs.get(b, {}).get("round_ms")
        both = [x / y for x, y in zip(ra or [], rb or []) if x and y]
        if len(both) < 2:
            return div(ms(a), ms(b)), None
        return statistics.median(both), [min(both), max(both)]

    bp, bp_range = paired(k1, "PyTorch bp")
    two, two_range = paired(k1, k1 + " 2T")
    return {"fgc_over_torch_bp": bp, "fgc_over_torch_bp_range": bp_range,
            "fgc_over_torch_lgfga": div(ms(k1), ms("PyTorch lg-fg-a")),
            "k4_over_k1": div(ms("fgc lg-fg-a K=4"), ms(k1)),
            "k16_over_k1": div(ms("fgc lg-fg-a K=16"), ms(k1)),
            "k16_over_k1_products": div(pf("fgc lg-fg-a K=16"), pf(k1)),
            "fgc_speedup_2t": two, "fgc_speedup_2t_range": two_range,
            "torch_bp_speedup_2t": paired("PyTorch bp", "PyTorch bp 2T")[0],
            "rss_fgc_over_torch_bp": div(rss(k1), rss("PyTorch bp")),
            "compile_s": runs.get(k1, {}).get("compile_s")}


def print_tables(res):
    p, t = res["peak"], res["torch"]
    print(f"# CPU steps, {res['date']}\n\n{res['machine']['cpu']}, {res['machine']['cores']}"
          f" cores, load average {res['machine']['load_average'][0]:.2f}; batch "
          f"{res['batch']}; single-core fp32 FMA peak {p['gflops']:.1f} GFLOP/s "
          f"({p['vector_bits']}-bit vectors); PyTorch {t.get('torch')}, BLAS {t.get('blas')} "
          f"({', '.join(os.path.basename(l) for l in t.get('blas_libs') or [])}; "
          f"BLAS_INFO={t.get('blas_info')}; OpenBLAS kernels {res.get('blas_core', '?')}); "
          f"epochs x "
          f"steps per process: " + ", ".join(f"{r['label']} {r['reps']} x {r['steps']}"
                                             for r in res["models"].values()) + "\n")
    print("| model | run | threads | ms/step | GFLOP/step | GFLOP/s | % peak | products "
          "GFLOP/step | peak RSS MB | compile s |\n|---|---|---|---|---|---|---|---|---|---|")
    for r in res["models"].values():
        for key, run in r["runs"].items():
            if "error" in run:
                print(f"| {r['label']} | {key} | {run.get('threads', '')} | failed: "
                      f"{run['error']} | | | | | | |")
                continue
            print(f"| {r['label']} | {key} | {run['threads']} | {run['ms']:.2f} | "
                  f"{fmt(run['flops'] and run['flops'] / 1e9, '.3f')} | "
                  f"{fmt(run['gflops'], '.1f')} | {fmt(run['pct_peak'], '.0f')} | "
                  f"{fmt(run.get('product_flops') and run['product_flops'] / 1e9, '.3f')} | "
                  f"{fmt(run['rss_mb'], '.0f')} | {fmt(run.get('compile_s'), '.1f')} |")
    cols = [("fgc / PyTorch BP", "fgc_over_torch_bp"), ("fgc / PyTorch LG-FG-A",
            "fgc_over_torch_lgfga"), ("K=4 / K=1", "k4_over_k1"), ("K=16 / K=1", "k16_over_k1"),
            ("K=16 / K=1 products' FLOPs", "k16_over_k1_products"),
            ("fgc 2T speed-up", "fgc_speedup_2t"), ("PyTorch BP 2T speed-up",
            "torch_bp_speedup_2t"), ("RSS fgc / PyTorch BP", "rss_fgc_over_torch_bp"),
            ("compile s", "compile_s")]
    print("\n| model | " + " | ".join(c for c, _ in cols) + " |\n"
          + "|---" * (len(cols) + 1) + "|")

    def cell(ratios, k):
        spread = ratios.get(k + "_range")
        return fmt(ratios[k]) + (f" ({spread[0]:.2f}–{spread[1]:.2f})" if spread else "")

    for r in res["models"].values():
        print(f"| {r['label']} | " + " | ".join(cell(r["ratios"], k) for _, k in cols) + " |")
    rounds = {r.get("rounds", 1) for r in res["models"].values()}
    if rounds != {1}:
        print(f"\nfgc lg-fg-a K=1 and PyTorch BP, 1 and 2 threads: {'/'.join(map(str, rounds))} "
              "interleaved rounds; their ms the median over the rounds, a ratio of two of "
              "them the median of the rounds' ratios (in brackets the lowest and highest).")
    print("\nfgc = lg-fg-a with K = 1 tangent, 1 thread unless stated; ratios from this run; "
          "FLOPs: F = 2 x forward MACs; BP and one-tangent steps 3F, readout F; K > 1 "
          "not counted by that convention. Products GFLOP: 2 M N K of every matrix "
          "product in fgc's compiled step (--emit=linalg), every K.")


if __name__ == "__main__":
    sys.exit(main())
