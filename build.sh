#!/usr/bin/env bash
# Configures and builds fgc (Release, clang-22, Ninja) into build/.
#   ./build.sh              set up packages if needed, configure once, build
#   ./build.sh --sanitize   the same with AddressSanitizer + UBSan, into build-asan/
#                           (no fuzzers: they are sanitized in every build)
#   ./build.sh --debug      a Debug build into build-debug/
# Under CI (CI set in the environment) warnings in fgc's sources are errors.
set -euo pipefail
cd "$(dirname "$0")"
./setup.sh

dir=build
args=(-DCMAKE_BUILD_TYPE=Release)
case "${1:-}" in
  "") ;;
  --sanitize)
    # The fuzzers carry their own sanitizers in every build: not again here.
    dir=build-asan
    # -O1 and line tables only: ASan's recommended level, symbolised stack
    # traces, and a build that fits into CI next to the release one.
    args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG"
          -DFGC_ENABLE_SANITIZERS=ON -DFGC_BUILD_FUZZERS=OFF) ;;
  --debug) dir=build-debug; args=(-DCMAKE_BUILD_TYPE=Debug) ;;
  -h|--help) sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "build.sh: unknown option '$1' (try --help)" >&2; exit 1 ;;
esac

if [ -n "${CI:-}" ]; then
  args+=(-DFGC_WERROR=ON)
fi

if [ ! -f "$dir/build.ninja" ]; then
  CC=clang-22 CXX=clang++-22 cmake -S . -B "$dir" -G Ninja "${args[@]}" >/dev/null
fi
cmake --build "$dir" -- -j"$(nproc)" | grep -v '^\[' || true
test "${PIPESTATUS[0]}" -eq 0
