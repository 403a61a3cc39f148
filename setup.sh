#!/usr/bin/env bash
# Installs the Debian packages fgc needs to build and test. Idempotent: when every
# package is present it prints nothing and returns in well under a second.
# Usage: ./setup.sh            (as root, or with sudo available)
set -euo pipefail

PACKAGES=(
  # Compiler infrastructure: LLVM/MLIR 22 (libMLIR.so + mlir-tblgen), clang-22 for
  # the libFuzzer target and sanitizer runtimes, lit/FileCheck from llvm-22-tools.
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 libclang-rt-22-dev lld-22
  # Build tools and C++ test framework.
  cmake ninja-build g++ libgtest-dev libgmock-dev
  # The trainers' command-line parser (header-only).
  libcli11-dev
  # BLAS microkernels for the matrix products of generated code; zlib for the
  # trainers' gzip data files.
  libopenblas-dev zlib1g-dev
  # The OpenMP runtime (libomp): threads of the generated loops and products.
  libomp-22-dev
  # Fashion-MNIST (gzip IDX): the trainers' default data set.
  dataset-fashion-mnist
  # ONNX C++ library (protobuf model, checker, shape inference, text parser).
  libonnx-dev protobuf-compiler libprotobuf-dev
  # PyTorch 1.13 + onnx python: exports models/ and serves as reference in tests.
  python3-torch python3-onnx python3-numpy
  # torchvision 0.14: the real networks of models/ (ResNet-18, MobileNetV2).
  python3-torchvision
  # ONNX backend conformance data (node tests etc.) used by the import sweep.
  libonnx-testdata
  # bench/cpu_steps.py: peak RSS of whole processes; perf for profiles.
  time linux-perf
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup.sh: need root to install: ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
echo "setup.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update -qq >/dev/null; then
  echo "setup.sh: apt-get update failed" >&2; exit 1
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/fgc-setup.log 2>&1; then
  # Retry one by one to name the package that fails.
  for p in "${missing[@]}"; do
    if ! $SUDO apt-get install -y -qq --no-install-recommends "$p" >>/tmp/fgc-setup.log 2>&1; then
      echo "setup.sh: failed to install Debian package '$p' (log: /tmp/fgc-setup.log)" >&2
      exit 1
    fi
  done
fi
