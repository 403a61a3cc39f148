#!/usr/bin/env bash
# The main job (for now): set up, build, import the bundled LocalMixer M/1/16
# (opset 17, PyTorch export) at batch size 128 and print its fg IR.
set -euo pipefail
cd "$(dirname "$0")"
./build.sh
exec build/bin/fgc import models/m_1_16.opset17.onnx --batch-size 128 --elide-params "$@"
