#!/usr/bin/python3
"""Runs fgc over the ONNX backend test data of Debian's libonnx-testdata.

Two checks, over the folders node, pytorch-converted, pytorch-operator, simple:

1. Import sweep: `fgc import` on every model.onnx. Each must import (and
   verify) or be rejected with one "fgc: error:" line; a crash, an internal
   error or any other output fails.
2. Conformance: for every test whose model imports with its
   test_data_set_0 inputs (shapes come from the inputs; inputs that must be
   compile-time constants, like a Reshape's shape or a Range's limits, are
   made initializers holding their test values; models below opset 13
   are converted with --upgrade-opset), `fgc run` compiles and runs the
   forward pass and every output is compared with the reference: |fgc - ref| <= atol + rtol*|ref|,
   rtol 1e-3 and atol 1e-7 (ONNX backend tolerances). Every imported test
   must pass; KNOWN_TOLERANCES lists the documented exceptions, and
   KNOWN_DIFFERENCES the tests fgc computes differently by design (they
   must compile; their outputs are not compared).

Usage:
  onnx_backend.py --fgc BUILD/bin/fgc [--data DIR] [--import-only]
                  [--write-docs docs/onnx-support.md] [--json FILE] [-v]
"""
import argparse
import collections
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

FOLDERS = ["node", "pytorch-converted", "pytorch-operator", "simple"]
RTOL, ATOL = 1e-3, 1e-7
# Tests documented to need other tolerances: {test: (rtol, atol, reason)}.
KNOWN_TOLERANCES = {}
# Tests whose reference fgc differs from by design: {test: reason}. They
# must import and compile; their outputs are not compared.
KNOWN_DIFFERENCES = {
    "test_training_dropout": "Dropout with training_mode true: fgc computes the "
                             "identity (no random mask)",
    "test_training_dropout_default": "Dropout with training_mode true: fgc computes "
                                     "the identity (no random mask)",
}


def model_info(path):
    """(first non-Constant op, [non-initializer graph input names], [outputs])."""
    try:
        model = onnx.load(path)
    except Exception:  # noqa: BLE001 - unreadable models are classified by fgc
        return None, [], []
    inits = {i.name for i in model.graph.initializer}
    ops = [n.op_type for n in model.graph.node if n.op_type != "Constant"]
    inputs = [(i.name, i.type.tensor_type.elem_type) for i in model.graph.input
              if i.name not in inits]
    outputs = [o.name for o in model.graph.output]
    return (ops[0] if ops else "Constant"), inputs, outputs


def classify(proc):
    lines = [l for l in proc.stderr.splitlines() if l.strip()]
    errors = [l for l in lines if not l.startswith("fgc: warning:")]
    if proc.returncode == 0 and not errors:
        return "ok", ""
    if proc.returncode == 1 and len(errors) == 1 and errors[0].startswith("fgc: error:") \
            and "internal error" not in errors[0]:
        return "error", errors[0]
    return "FAILED", f"exit {proc.returncode}: " + " | ".join(lines[:6])


def sweep_one(fgc, path):
    proc = subprocess.run([fgc, "import", path, "-o", os.devnull],
                          capture_output=True, text=True, timeout=300)
    status, msg = classify(proc)
    return {"ok": "imported", "error": "rejected"}.get(status, status), msg


def output_file(name):
    s = "".join(c if c.isalnum() or c in ".-_" else "_" for c in name)
    if not s or s[0] == ".":
        s = "_" + s
    return s + ".npy"


CONSTANT_RE = re.compile(r"\('([^']+)'\) must be a compile-time constant")
# An input fgc cannot take at run time (say an INT32 axis of CumSum): folded
# only when the outputs are of types fgc produces, so that folding never
# turns a test of an unsupported type into a comparison.
UNSUPPORTED_INPUT_RE = re.compile(
    r"--input ([^=]+)=\S+: unsupported TensorProto element type")
SUPPORTED_TYPES = {onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE,
                   onnx.TensorProto.INT64, onnx.TensorProto.BOOL}
# The integer types fgc widens to INT64 when they are constants.
WIDENED_TYPES = {onnx.TensorProto.INT32, onnx.TensorProto.INT16,
                 onnx.TensorProto.INT8, onnx.TensorProto.UINT16,
                 onnx.TensorProto.UINT8}


def fold_inputs(model, data, files, names, out):
    """A copy of `model` in `out` whose inputs `names` are initializers
    holding their test values."""
    proto = onnx.load(model)
    for name in names:
        tensor = onnx.TensorProto()
        with open(os.path.join(data, files[name]), "rb") as f:
            tensor.ParseFromString(f.read())
        tensor.name = name
        proto.graph.initializer.append(tensor)
        kept = [i for i in proto.graph.input if i.name != name]
        del proto.graph.input[:]
        proto.graph.input.extend(kept)
    path = os.path.join(out, "folded.onnx")
    onnx.save(proto, path)
    return path


def conform_one(fgc, folder, test, model, inputs, outputs):
    """Returns (stage, message): stage is 'not-imported', 'not-compiled',
    'failed' or 'passed'."""
    data = os.path.join(os.path.dirname(model), "test_data_set_0")
    files = sorted(f for f in os.listdir(data) if f.startswith("input_"))
    if len(files) != len(inputs):
        return "not-imported", f"{len(files)} input files for {len(inputs)} inputs"
    files = dict(zip((n for n, _ in inputs),
                     sorted(files, key=lambda s: int(s[6:-3]))))
    output_types = {o.type.tensor_type.elem_type
                    for o in onnx.load(model).graph.output}
    types = dict(inputs)
    with tempfile.TemporaryDirectory() as tmp:
        folded = []
        while True:
            # Inputs of types fgc reads are folded by fgc (--fold-input:
            # float initializers would be parameters); others, which can
            # only be integers that fgc widens, become initializers.
            args, rewritten = [], []
            for name, f in files.items():
                if name in folded and types[name] not in SUPPORTED_TYPES:
                    rewritten.append(name)
                    continue
                args += ["--input", f"{name}={os.path.join(data, f)}"]
                if name in folded:
                    args += ["--fold-input", name]
            path = (fold_inputs(model, data, files, rewritten, tmp)
                    if rewritten else model)
            base = [fgc, "run", path, "--upgrade-opset"] + args
            proc = subprocess.run(base + ["--import-only"], capture_output=True,
                                  text=True, timeout=300)
            status, msg = classify(proc)
            wanted = CONSTANT_RE.findall(msg)
            if output_types <= SUPPORTED_TYPES:
                wanted += [n for n in UNSUPPORTED_INPUT_RE.findall(msg)
                           if types.get(n) in WIDENED_TYPES]
            more = [n for n in wanted if n in files and n not in folded]
            if status != "error" or not more:
                break
            folded += more
        return conform_compiled(base, test, data, outputs, status, msg)


def conform_compiled(base, test, data, outputs, status, msg):
    if status == "FAILED":
        return "FAILED", msg
    if status != "ok":
        return "not-imported", msg
    with tempfile.TemporaryDirectory() as out:
        proc = subprocess.run(base + ["--output-dir", out, "--threads", "1"],
                              capture_output=True, text=True, timeout=600)
        status, msg = classify(proc)
        if status != "ok":
            return "not-compiled", msg
        if test in KNOWN_DIFFERENCES:
            return "differs", KNOWN_DIFFERENCES[test]
        rtol, atol = KNOWN_TOLERANCES.get(test, (RTOL, ATOL, ""))[:2]
        for k, name in enumerate(outputs):
            ref_path = os.path.join(data, f"output_{k}.pb")
            if not os.path.exists(ref_path):
                continue
            tensor = onnx.TensorProto()
            with open(ref_path, "rb") as f:
                tensor.ParseFromString(f.read())
            ref = numpy_helper.to_array(tensor)
            got_path = os.path.join(out, output_file(name))
            if not os.path.exists(got_path):
                return "failed", f"output '{name}' was not written"
            got = np.load(got_path)
            if got.shape != ref.shape or got.dtype != ref.dtype:
                return "failed", (f"output '{name}': {got.dtype}{list(got.shape)} vs "
                                  f"reference {ref.dtype}{list(ref.shape)}")
            if ref.dtype.kind in "fc":
                bad = ~(np.abs(got - ref) <= atol + rtol * np.abs(ref))
                bad &= ~(np.isnan(got) & np.isnan(ref))
            else:
                bad = got != ref
            if bad.any():
                i = np.argmax(bad)
                return "failed", (f"output '{name}': {int(bad.sum())} of {ref.size} "
                                  f"elements differ, e.g. [{i}] {got.flat[i]} vs "
                                  f"{ref.flat[i]}")
    return "passed", ""


def write_docs(path, ops, per_op, per_folder):
    lines = [
        "# Supported ONNX operators",
        "",
        "Generated by `test/onnx_backend.py --write-docs` from `fgc import --list-ops` and",
        "the ONNX backend node tests of Debian's `libonnx-testdata` (ONNX 1.12). Do not edit",
        "by hand.",
        "",
        "fgc imports the default ONNX domain at opsets 13 to 17. Models at other opsets are",
        "rejected with a hint to use ONNX's version converter. Attributes not listed for an",
        "op are rejected by name; so are values outside the notes. For each op, the `node/`",
        "tests whose first op it is: *total*; *imported* (the model imports with its",
        "test_data_set_0 inputs, after `--upgrade-opset` for opsets below 13); *passed*",
        "(compiled, run, and every output within",
        f"rtol {RTOL:g} / atol {ATOL:g} of the reference). Tests that do not import mostly",
        "use element types other than FLOAT, DOUBLE, INT64, BOOL (integer constants of",
        "8 to 32 bits are widened to INT64) or ops outside the list. Every op is",
        "differentiable both ways (forward and reverse mode) through float values;",
        "Dropout is the identity when a model runs (the two training-mode tests with a",
        "non-zero ratio compile but are not compared: "
        + ", ".join(sorted(KNOWN_DIFFERENCES)) + ";",
        "`fgc compile --dropout=train` drops in training steps), and",
        "BatchNormalization computes the running statistics (an export from",
        "training mode imports too; `fgc compile` trains it with the batch's",
        "statistics).",
        "",
        "## Conformance by source folder",
        "",
        "| Folder | Models | Import as is | Imported with inputs | Compiled | Passed |",
        "|---|---|---|---|---|---|",
    ]
    for folder in FOLDERS:
        c = per_folder[folder]
        lines.append(f"| {folder} | {c['models']} | {c['imported']} | {c['run-imported']} | "
                     f"{c['compiled']} | {c['passed']} |")
    lines += [
        "",
        "*Import as is*: `fgc import model.onnx` with no options (opsets 13-17, static",
        "shapes). *Imported with inputs*: `fgc run --upgrade-opset` with the test's input",
        "files (which fix dynamic shapes; inputs that must be constants, like a Reshape's",
        "shape, folded with `--fold-input`, or as initializers for narrower integers).",
        "",
        "## Operators",
        "",
        "| Op | Attributes | Notes | Node tests | Imported | Passed |",
        "|---|---|---|---|---|---|",
    ]
    for name, (attrs, notes) in sorted(ops.items()):
        c = per_op.get(name, collections.Counter())
        lines.append(f"| {name} | {attrs or '-'} | {notes or '-'} | {c['total']} | "
                     f"{c['imported']} | {c['passed']} |")
    lines.append("")
    with open(path, "w") as f:
        f.write("\n".join(lines))


def supported_ops(fgc):
    out = subprocess.run([fgc, "import", "--list-ops"], capture_output=True, text=True,
                         check=True).stdout
    ops = {}
    for line in out.splitlines():
        name = line.split(" ")[0].rstrip(":")
        attrs, notes = "", ""
        rest = line[len(name):]
        if rest.startswith(" ("):
            attrs = rest[2:rest.index(")")]
            rest = rest[rest.index(")") + 1:]
        if rest.startswith(":"):
            notes = rest[1:].strip()
        ops[name] = (attrs, notes)
    return ops


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fgc", required=True)
    ap.add_argument("--data", default="/usr/share/libonnx-testdata/data")
    ap.add_argument("--import-only", action="store_true",
                    help="only the import sweep, no conformance runs")
    ap.add_argument("--write-docs")
    ap.add_argument("--json", help="write the per-test results here")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("--filter", help="only tests whose name matches this regex "
                    "(not with --write-docs)")
    args = ap.parse_args()
    if args.filter and args.write_docs:
        sys.exit("onnx_backend.py: --filter and --write-docs exclude each other")
    fgc = shutil.which(args.fgc) or args.fgc

    ops = supported_ops(fgc)
    tests = []
    for folder in FOLDERS:
        root = os.path.join(args.data, folder)
        if not os.path.isdir(root):
            sys.exit(f"onnx_backend.py: {root} not found (install libonnx-testdata)")
        for test in sorted(os.listdir(root)):
            model = os.path.join(root, test, "model.onnx")
            if os.path.exists(model) and (not args.filter or
                                          re.search(args.filter, test)):
                tests.append((folder, test, model))

    failures = []
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        sweep = dict(zip(tests, pool.map(lambda t: sweep_one(fgc, t[2]), tests)))
    infos = {t: model_info(t[2]) for t in tests}
    results = {}
    if not args.import_only:
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            futures = {pool.submit(conform_one, fgc, t[0], t[1], t[2], infos[t][1],
                                   infos[t][2]): t for t in tests}
            for fut in concurrent.futures.as_completed(futures):
                results[futures[fut]] = fut.result()

    per_folder = collections.defaultdict(collections.Counter)
    per_op = collections.defaultdict(collections.Counter)
    for t in tests:
        folder, test, _ = t
        status, msg = sweep[t]
        c = per_folder[folder]
        c["models"] += 1
        c[status] += 1
        if status == "FAILED":
            failures.append(f"import {folder}/{test}: {msg}")
        if t in results:
            stage, msg = results[t]
            if stage != "not-imported":
                c["run-imported"] += 1
            if stage in ("failed", "passed", "differs"):
                c["compiled"] += 1
            if stage == "passed":
                c["passed"] += 1
            if stage in ("failed", "not-compiled", "FAILED"):
                failures.append(f"run {folder}/{test}: {stage}: {msg}")
            elif args.verbose and stage == "not-imported" and infos[t][0] in ops:
                print(f"  not imported: {folder}/{test}: {msg}")
        if folder == "node":
            op = infos[t][0]
            per_op[op]["total"] += 1
            if t in results and results[t][0] != "not-imported":
                per_op[op]["imported"] += 1
            if t in results and results[t][0] == "passed":
                per_op[op]["passed"] += 1

    print(f"{'folder':<20}{'models':>8}{'imports':>9}{'rejected':>10}"
          + ("" if args.import_only else f"{'imported*':>11}{'compiled':>10}{'passed':>8}"))
    for folder in FOLDERS:
        c = per_folder[folder]
        line = f"{folder:<20}{c['models']:>8}{c['imported']:>9}{c['rejected']:>10}"
        if not args.import_only:
            line += f"{c['run-imported']:>11}{c['compiled']:>10}{c['passed']:>8}"
        print(line)
    if not args.import_only:
        print("imports: `fgc import` alone; imported*: with the test's input files "
              "(shapes, constant inputs folded)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({f"{t[0]}/{t[1]}": {"import": sweep[t][0],
                                          "run": results.get(t, ("", ""))[0],
                                          "message": results.get(t, ("", sweep[t][1]))[1]}
                       for t in tests}, f, indent=1, sort_keys=True)
    if args.write_docs:
        write_docs(args.write_docs, ops, per_op, per_folder)
        print(f"wrote {args.write_docs}")
    if failures:
        print(f"{len(failures)} problems:")
        for f in failures:
            print("  " + f)
        print(f"0 passed, {len(failures)} failed")
        return 1
    total = sum(c["passed"] for c in per_folder.values())
    print(f"{total} passed, 0 failed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
