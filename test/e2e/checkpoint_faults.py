#!/usr/bin/python3
"""Fault injection and corruption of trainer checkpoints (issue 12):

  * random byte flips and header edits of a checkpoint (the edits re-signed
    with a valid CRC-32, so that the strict header, not the checksum,
    refuses them) are each rejected with one line and exit 1, and the file
    is left as it was;
  * a poisoned run (--lr 1e39: the parameters become NaN/Inf after one step)
    leaves the previous checkpoint byte-identical, and a finite blow-up
    (--lr 1e30) stops with the divergence message;
  * unwritable outputs (--export, --metrics, --plot, --checkpoint-dir) fail
    before training; stale temporary files are removed at start;
  * a second trainer on the same --checkpoint-dir fails naming the first's
    PID;
  * a run stopped in the middle of an epoch and resumed reports the whole
    epoch: its metrics rows (one per epoch, stale rows of an older file gone)
    and plot are those of an uninterrupted run, also when the metrics file is
    lost after the last checkpoint;
  * SIGKILL at random points of a short run (some while a checkpoint is being
    written), each followed by --resume, ends with an export byte-identical to
    an uninterrupted run's, and with its metrics rows and plot.

One line per case, then 'N passed, M failed'; exit status 1 on any failure.

Usage: checkpoint_faults.py --fgc BUILD/bin/fgc --models DIR
"""
import argparse
import os
import json
import random
import resource
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zlib

import numpy as np

from datasets import make_mnist_like

PASSED, FAILED = [], []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    (PASSED if ok else FAILED).append(what)


def run(cmd, timeout=300):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


def one_line_error(p, *expect):
    """Exit 1 with exactly one stderr line containing every `expect`."""
    lines = p.stderr.strip().splitlines()
    return (p.returncode == 1 and len(lines) == 1 and
            all(e in lines[0] for e in expect))


def resign(body):
    """A checkpoint's bytes (without trailer) with a valid CRC-32 trailer."""
    return body + b"crc32 %08x\n" % (zlib.crc32(body) & 0xffffffff)


def edit_header(good, fn):
    """Applies `fn` to the header lines of a checkpoint and re-signs it."""
    body = good[:-15]
    end = body.index(b"\ndata\n") + 1
    lines = body[:end].decode().splitlines()
    return resign(("\n".join(fn(lines)) + "\n").encode() + body[end:])


def replace_key(key, value):
    return lambda ls: [f"{key} {value}" if l.split(" ")[0] == key else l for l in ls]


def writing(d):
    """Whether a checkpoint is being written in `d`."""
    try:
        return any(".tmp." in n for n in os.listdir(d) if n.startswith("checkpoint"))
    except FileNotFoundError:
        return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fgc", required=True)
    ap.add_argument("--models", required=True)
    args = ap.parse_args()
    rng = random.Random(12)
    tmp = tempfile.mkdtemp()
    try:
        data = os.path.join(tmp, "data")
        make_mnist_like(data)
        exe = os.path.join(tmp, "train_mlp")
        p = run([args.fgc, "compile", os.path.join(args.models, "mlp.opset17.onnx"),
                 "--batch-size", "64", "--algo", "lg-fg-a", "-o", exe])
        check(p.returncode == 0, f"fgc compile -o EXE ({p.stderr.strip()[-200:]})")
        if p.returncode != 0:
            return 1
        common = [exe, "--data", data, "--dataset", "mnist", "--threads", "1",
                  "--lr", "0.005", "--quiet"]
        steps_per_epoch = 2560 // 64

        # A good checkpoint in the middle of epoch 2.
        ck = os.path.join(tmp, "ck")
        ck_file = os.path.join(ck, "checkpoint.fgc")
        p = run(common + ["--epochs", "3", "--checkpoint-dir", ck, "--max-steps",
                          str(steps_per_epoch + 7)])
        check(p.returncode == 0 and os.path.exists(ck_file),
              f"a run with --max-steps writes a checkpoint ({p.stderr.strip()})")
        good = open(ck_file, "rb").read()
        resume = common + ["--epochs", "3", "--checkpoint-dir", ck, "--resume",
                           "--max-steps", "1"]

        def rejected(what, content, *expect):
            open(ck_file, "wb").write(content)
            p = run(resume)
            kept = open(ck_file, "rb").read() == content
            check(one_line_error(p, ck_file, *expect) and kept,
                  f"{what}: rejected, file kept ({p.stderr.strip()[:160]})")

        # Random byte flips anywhere in the file.
        for i in range(10):
            at = rng.randrange(len(good))
            bad = bytearray(good)
            bad[at] ^= rng.randrange(1, 256)
            rejected(f"byte flip {i + 1} at offset {at}/{len(good)}", bytes(bad))
        rejected("truncated by one byte", good[:-1])
        rejected("truncated to half", good[:len(good) // 2])
        rejected("unsigned (format 1 style, no checksum)", good[:-15], "")

        # Header edits with a valid checksum: the header's own checks.
        check(edit_header(good, lambda ls: ls) == good,
              "re-signing an unedited checkpoint reproduces it")
        edits = [
            ("negative step", replace_key("step", "-1"), "step"),
            ("step = steps per epoch", replace_key("step", str(steps_per_epoch)), "step"),
            ("huge step", replace_key("step", "9223372036854775807"), "step"),
            ("step not a number", replace_key("step", "7x"), "step"),
            ("negative epoch", replace_key("epoch", "-1"), "epoch"),
            ("epoch edited (global inconsistent)", replace_key("epoch", "2"), "global"),
            ("huge epoch", replace_key("epoch", "9223372036854775807"), "global"),
            ("global step edited", replace_key("global", str(steps_per_epoch + 8)), "global"),
            ("unknown key", lambda ls: ls[:2] + ["epochs 1"] + ls[2:], "unknown"),
            ("key renamed", lambda ls: [l.replace("seed ", "sead ") for l in ls], "sead"),
            ("key twice", lambda ls: ls[:3] + [ls[2]] + ls[3:], "twice"),
            ("key missing", lambda ls: [l for l in ls if not l.startswith("seed ")], "missing"),
            ("format version 1", lambda ls: ["fgc-checkpoint 1"] + ls[1:], "format"),
            ("format version 2", lambda ls: ["fgc-checkpoint 2"] + ls[1:], "format"),
            ("record dropped", lambda ls: [l for l in ls if not l.startswith("record ")],
             "record"),
            ("record renumbered",
             lambda ls: [l.replace("record 1 ", "record 2 ") for l in ls], "record"),
            ("record with a NaN train loss",
             lambda ls: [re.sub(r"^(record 1) \S+", r"\1 nan", l) for l in ls], "record"),
            ("record twice",
             lambda ls: sum(([l, l] if l.startswith("record ") else [l] for l in ls), []),
             "record"),
            ("sum dropped",
             lambda ls: [l for i, l in enumerate(ls)
                         if i != next((j for j, k in enumerate(ls) if k.startswith("sum ")),
                                      None)],
             "sums"),
            ("sum twice",
             lambda ls: sum(([l, l] if l.startswith("sum ") else [l] for l in ls), []),
             "sum"),
            ("sum of an unknown loss", lambda ls: ls[:7] + ["sum loss.nope 0x0p+0"] + ls[7:],
             "sum"),
            ("sum not a number",
             lambda ls: [re.sub(r"^(sum \S+) \S+$", r"\1 1.5x", l) for l in ls], "sum"),
            ("correct not a number", replace_key("correct", "abc"), "correct"),
            ("negative seconds", replace_key("seconds", "-0x1p+0"), "seconds"),
            ("fingerprint edited", replace_key("fingerprint", "1"), "another model"),
            ("tensor size edited",
             lambda ls: [re.sub(r" (\d+)$", lambda m: " " + str(int(m.group(1)) - 4), l)
                         if l.startswith("tensor ") else l for l in ls], "tensor"),
            ("tensor line dropped",
             lambda ls: [l for i, l in enumerate(ls)
                         if i != next(j for j, k in enumerate(ls)
                                      if k.startswith("tensor "))], ""),
            ("record with a negative peak RSS",
             lambda ls: [re.sub(r"^(record 1(?: \S+){7}) \S+", r"\1 -0x1p+0", l)
                         for l in ls], "record"),
            ("format-4 record in a format-3 file",
             lambda ls: ["fgc-checkpoint 3"] + ls[1:], "record"),
        ]
        for what, fn, expect in edits:
            rejected(what, edit_header(good, fn), expect)

        # The format before records kept the peak RSS still resumes; its
        # epochs report none.
        def as_format3(ls):
            return ["fgc-checkpoint 3"] + [
                re.sub(r"^(record 1(?: \S+){7}) \S+", r"\1", l) for l in ls[1:]]
        metrics3 = os.path.join(tmp, "m3.jsonl")
        open(ck_file, "wb").write(edit_header(good, as_format3))
        # To the end of epoch 2, when the metrics are written.
        p = run(resume[:-2] + ["--max-steps", str(steps_per_epoch - 7),
                               "--metrics", metrics3])
        rss = [json.loads(l)["peak_rss_mb"] for l in open(metrics3)] \
            if os.path.exists(metrics3) else []
        check(p.returncode == 0 and len(rss) == 2 and rss[0] is None and rss[1] > 0,
              f"a format-3 checkpoint resumes; its epoch has no peak RSS, the next "
              f"one has ({p.stderr.strip()[:160]}, {rss})")
        open(ck_file, "wb").write(good)
        p = run(resume)
        check(p.returncode == 0, f"the good checkpoint still resumes ({p.stderr.strip()})")

        # A poisoned state never replaces a good checkpoint.
        open(ck_file, "wb").write(good)
        p = run(resume[:-2] + ["--max-steps", "1", "--lr", "1e39"])
        check(one_line_error(p, "not finite") and open(ck_file, "rb").read() == good,
              f"--lr 1e39 --max-steps 1: stopped, checkpoint byte-identical "
              f"({p.stderr.strip()[:160]})")
        p = run(common + ["--epochs", "3", "--checkpoint-dir", ck, "--resume",
                          "--lr", "1e30"])
        check(one_line_error(p, "diverged", "--divergence-factor") and
              open(ck_file, "rb").read() == good,
              f"--lr 1e30: divergence stop, checkpoint byte-identical "
              f"({p.stderr.strip()[:160]})")

        # Unwritable outputs fail before training.
        for flag, path, reason in [
                ("--export", "nodir/x.onnx", "No such file or directory"),
                ("--metrics", os.path.join(tmp, "nodir", "m.jsonl"), "No such file"),
                ("--plot", "/proc/fgc.svg", ""),
                ("--export", tmp, "directory"),
                ("--checkpoint-dir", "/proc/fgc-ck", "cannot write")]:
            t0 = time.time()
            p = run([a for a in common if a != "--quiet"] + ["--epochs", "3", flag, path])
            check(one_line_error(p, flag, path, reason) and "training" not in p.stdout,
                  f"{flag} {path}: fails before training in {time.time() - t0:.2f} s "
                  f"({p.stderr.strip()})")

        # A stop at an epoch's last step is taken after the epoch's end: the
        # checkpoint's step stays inside an epoch and the metrics stay whole.
        ck_e = os.path.join(tmp, "ck_edge")
        metrics = os.path.join(tmp, "edge.jsonl")
        edge = common + ["--epochs", "3", "--checkpoint-dir", ck_e, "--metrics", metrics]
        p = run(edge + ["--max-steps", str(steps_per_epoch)])
        head = open(os.path.join(ck_e, "checkpoint.fgc"), "rb").read(200).decode(
            errors="replace") if os.path.exists(os.path.join(ck_e, "checkpoint.fgc")) else ""
        check(p.returncode == 0 and "epoch 1\nstep 0\n" in head,
              f"--max-steps at an epoch's last step: checkpoint at the next epoch, "
              f"step 0 ({p.stderr.strip()})")
        p = run(edge + ["--resume"])
        rows = [json.loads(l) for l in open(metrics)] if os.path.exists(metrics) else []
        check(p.returncode == 0 and [r["epoch"] for r in rows] == [1, 2, 3] and
              all(r["train_error"] < 1 and r["lr"] > 0 for r in rows),
              f"... and --resume completes the metrics: epochs "
              f"{[r['epoch'] for r in rows]} ({p.stderr.strip()})")

        # A run stopped in the middle of an epoch and resumed reports the whole
        # epoch: metrics and plot are rewritten from the checkpoint's history.
        def rows_of(path):
            if not os.path.exists(path):
                return []
            return [{k: v for k, v in json.loads(l).items()
                     if k not in ("seconds", "examples_per_second", "peak_rss_mb")}
                    for l in open(path)]

        def read(path):
            return open(path, "rb").read() if os.path.exists(path) else b""

        ref_m, got_m = os.path.join(tmp, "ref.jsonl"), os.path.join(tmp, "got.jsonl")
        ck_m = os.path.join(tmp, "ck_metrics")
        mrun = common + ["--epochs", "3", "--metrics", got_m, "--checkpoint-dir", ck_m]
        p = run(common + ["--epochs", "3", "--metrics", ref_m])
        ref_rows = rows_of(ref_m)
        check(p.returncode == 0 and [r["epoch"] for r in ref_rows] == [1, 2, 3],
              f"uninterrupted run: 3 metrics rows ({p.stderr.strip()})")
        p = run(mrun + ["--max-steps", str(steps_per_epoch + 7)])
        # An older run's rows and a repeated row: the history replaces them.
        open(got_m, "a").write('{"epoch": 1, "train_error": 0.5}\n{"epoch": 9}\n')
        p2 = run(mrun + ["--resume", "--max-steps", str(steps_per_epoch)])
        check(p.returncode == 0 and p2.returncode == 0 and
              rows_of(got_m) == ref_rows[:2],
              f"stopped at step 7 of epoch 2, resumed to step 7 of epoch 3: "
              f"metrics rows {[r.get('epoch') for r in rows_of(got_m)]} are the "
              f"uninterrupted run's first two, whole-epoch train figures "
              f"({p.stderr.strip()}{p2.stderr.strip()})")
        p = run(mrun + ["--resume"])
        check(p.returncode == 0 and rows_of(got_m) == ref_rows and
              read(got_m + ".svg") == read(ref_m + ".svg") != b"",
              f"... and to the end: metrics rows {[r.get('epoch') for r in rows_of(got_m)]} "
              f"and the plot are the uninterrupted run's ({p.stderr.strip()})")
        # A kill after the last checkpoint but before the metrics write.
        os.unlink(got_m)
        os.unlink(got_m + ".svg")
        p = run(mrun + ["--resume"])
        check(p.returncode == 0 and rows_of(got_m) == ref_rows and
              read(got_m + ".svg") == read(ref_m + ".svg"),
              f"metrics and plot lost after the last checkpoint: --resume writes "
              f"them again ({p.stderr.strip()})")

        # A file-size limit is a write error, not a silent death by SIGXFSZ.
        ck_f = os.path.join(tmp, "ck_fsize")
        limit = lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
        p = subprocess.run(common + ["--checkpoint-dir", ck_f, "--max-steps", "1"],
                           capture_output=True, text=True, timeout=300, preexec_fn=limit)
        check(one_line_error(p, "checkpoint.fgc", "File too large") and
              "checkpoint.fgc" not in os.listdir(ck_f),
              f"a 1 MiB file-size limit: one-line write error, exit 1 "
              f"(exit {p.returncode}: {p.stderr.strip()})")

        # Stale temporary files of killed writes go at start.
        stale = os.path.join(ck, "checkpoint.fgc.tmp.999999999")
        open(stale, "wb").write(b"partial")
        open(ck_file, "wb").write(good)
        p = run(resume)
        check(p.returncode == 0 and not os.path.exists(stale),
              f"a stale checkpoint.fgc.tmp.PID is removed at start ({p.stderr.strip()})")

        # One trainer per checkpoint directory.
        big = os.path.join(tmp, "big")
        make_mnist_like(big, train=12800, test=100, seed=1)
        ck_l = os.path.join(tmp, "ck_lock")
        first = subprocess.Popen([exe, "--data", big, "--dataset", "mnist", "--threads",
                                  "1", "--epochs", "20", "--quiet",
                                  "--checkpoint-dir", ck_l],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        lock = os.path.join(ck_l, "checkpoint.lock")
        t0 = time.time()
        while time.time() - t0 < 30 and not (
                os.path.exists(lock) and open(lock).read().strip()):
            time.sleep(0.02)
        p = run(common + ["--checkpoint-dir", ck_l])
        check(one_line_error(p, ck_l, f"PID {first.pid}") and first.poll() is None,
              f"a second trainer on the directory fails naming the first "
              f"({p.stderr.strip()})")
        first.kill()
        first.wait()
        p = run(common + ["--checkpoint-dir", ck_l, "--max-steps", "1"])
        check(p.returncode == 0, f"the lock goes with its holder, even on SIGKILL "
                                 f"({p.stderr.strip()})")

        # SIGKILL at random points, then --resume: the export of an
        # uninterrupted run, byte for byte.
        base = [exe, "--data", big, "--dataset", "mnist", "--threads", "1", "--lr",
                "0.005", "--epochs", "3", "--seed", "5", "--quiet"]
        ref = os.path.join(tmp, "ref.onnx")
        ref_k = os.path.join(tmp, "ref_kill.jsonl")
        t0 = time.time()
        p = run(base + ["--export", ref, "--metrics", ref_k])
        full = time.time() - t0
        check(p.returncode == 0, f"uninterrupted run ({full:.1f} s; {p.stderr.strip()})")
        ck_k = os.path.join(tmp, "ck_kill")
        ck_k_file = os.path.join(ck_k, "checkpoint.fgc")
        out = os.path.join(tmp, "killed.onnx")
        out_k = os.path.join(tmp, "killed.jsonl")
        kills = during_write = 0
        for attempt in range(12):
            cmd = base + ["--checkpoint-dir", ck_k, "--export", out, "--metrics", out_k]
            if os.path.exists(ck_k_file):
                cmd.append("--resume")
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
            if attempt < 6:
                # Wait for a checkpoint write to begin, then kill in it.
                deadline = time.time() + full
                while proc.poll() is None and time.time() < deadline and \
                        not writing(ck_k):
                    time.sleep(0.0005)
                if writing(ck_k):
                    during_write += 1
            elif attempt < 10:
                time.sleep(rng.uniform(0.05, full / 2))
            else:
                proc.wait()
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
                kills += 1
            _, err = proc.communicate()
            if proc.returncode == 0:
                break
            if proc.returncode != -signal.SIGKILL:
                check(False, f"killed run, attempt {attempt}: exit {proc.returncode} "
                             f"({err.decode().strip()[:160]})")
                break
        same = os.path.exists(out) and os.path.exists(ref) and \
            open(out, "rb").read() == open(ref, "rb").read()
        leftovers = [n for n in os.listdir(ck_k) if ".tmp." in n]
        same_rows = rows_of(out_k) == rows_of(ref_k) and len(rows_of(ref_k)) == 3 and \
            read(out_k + ".svg") == read(ref_k + ".svg")
        check(same and kills >= 4 and not leftovers,
              f"{kills} SIGKILLs ({during_write} while a checkpoint was being "
              f"written), each resumed: the export is byte-identical to the "
              f"uninterrupted run's; temporary files left: {leftovers}")
        check(same_rows, f"... and the metrics rows "
                         f"{[r.get('epoch') for r in rows_of(out_k)]} and the plot are "
                         f"the uninterrupted run's")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(PASSED)} passed, {len(FAILED)} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
