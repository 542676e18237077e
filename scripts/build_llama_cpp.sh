#!/usr/bin/env bash
# Build llama-cpp-python portably (no -march=native, no AMX) and install it.
#
# Why: the default source build of llama-cpp-python compiles for the exact
# CPU and enables Intel AMX; on VMs that forbid AMX the server then dies
# silently on its first request (protection fault at `ldtilecfg`).
# GGML_NATIVE=OFF builds generic x86-64 kernels that run everywhere.
#
# The built wheel is kept in $RECON_WHEEL_DIR (default ~/.cache/recon-wheels)
# so the ~10-minute compile happens once per machine: when a wheel for this
# version is already there, the build is skipped and only `pip install` runs.
#
# Usage: scripts/build_llama_cpp.sh               # build if needed, then install
#        scripts/build_llama_cpp.sh --build-only  # build (or find) the wheel, print its path
#        scripts/build_llama_cpp.sh --cached-only # install only if the wheel is cached; never build
#                                                 # (for CI: exits 0 quickly, smoke tests then skip)
# Env: LLAMA_CPP_VERSION (0.3.36), RECON_WHEEL_DIR, PYTHON, CMAKE_BUILD_PARALLEL_LEVEL,
#      CMAKE_ARGS_EXTRA (appended to the portable CMAKE_ARGS, e.g. -DGGML_AVX512=ON).
set -euo pipefail

VERSION="${LLAMA_CPP_VERSION:-0.3.36}"
WHEEL_DIR="${RECON_WHEEL_DIR:-$HOME/.cache/recon-wheels}"
PYTHON="${PYTHON:-python}"
JOBS="${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc 2>/dev/null || echo 2)}"
BUILD_ONLY=0
CACHED_ONLY=0
case "${1:-}" in
    --build-only) BUILD_ONLY=1 ;;
    --cached-only) CACHED_ONLY=1 ;;
    "") ;;
    *) echo "usage: $0 [--build-only|--cached-only]" >&2; exit 2 ;;
esac

mkdir -p "$WHEEL_DIR"
wheel=$(ls "$WHEEL_DIR"/llama_cpp_python-"$VERSION"-*.whl 2>/dev/null | head -n1 || true)

if [[ -n "$wheel" ]]; then
    echo "cached wheel: $wheel (skipping the build)"
elif [[ "$CACHED_ONLY" == 1 ]]; then
    echo "no cached llama-cpp-python $VERSION wheel in $WHEEL_DIR; not building (--cached-only)"
    exit 0
else
    echo "building llama-cpp-python $VERSION portably with $JOBS jobs (about 10 min on 2 cores)..."
    start=$(date +%s)
    CMAKE_ARGS="-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF ${CMAKE_ARGS_EXTRA:-}" \
    CMAKE_BUILD_PARALLEL_LEVEL="$JOBS" \
        "$PYTHON" -m pip wheel --no-deps --no-cache-dir -w "$WHEEL_DIR" "llama-cpp-python==$VERSION"
    echo "build took $(( $(date +%s) - start )) s"
    wheel=$(ls "$WHEEL_DIR"/llama_cpp_python-"$VERSION"-*.whl | head -n1)
fi

if [[ "$BUILD_ONLY" == 1 ]]; then
    echo "$wheel"
    exit 0
fi

# Install the cached wheel plus the [server] extra's dependencies from PyPI.
# --find-links makes pip take our portable wheel instead of rebuilding from sdist.
if "$PYTHON" -c "import llama_cpp, uvicorn, fastapi, sys; sys.exit(llama_cpp.__version__ != '$VERSION')" 2>/dev/null; then
    echo "llama_cpp $VERSION already installed"
    exit 0
fi
"$PYTHON" -m pip install --find-links "$WHEEL_DIR" --only-binary llama-cpp-python \
    "llama-cpp-python[server]==$VERSION"
"$PYTHON" -c "import llama_cpp; print('llama_cpp', llama_cpp.__version__, 'installed')"
