#!/usr/bin/env bash
# The GPU bench: GPT-2 training and greedy generation on WebGPU (Dawn, in a
# carried Node) against PyTorch eager, on the same machine, in one run.
#
#   bash scripts/gpu-bench/run.sh [--size 124m|tiny] [--variants fused[,stock]]
#
# 124m (the default): gpt2 (124M) at batch 8 × 1024, 20 steps, then 256 new
# tokens; PyTorch on CUDA. tiny: SwiftShader and PyTorch on the CPU, to test
# the script on a machine without a GPU. GPU_BENCH_SIZE sets the size too.
# Run scripts/gpu-bench/prepare.sh first (here); on the device tool:
#   run(command: "bash scripts/gpu-bench/run.sh", carry: [".gpu-bench", ".gl"], timeout_s: 600)
# Prints the table and writes it with both sides' raw results to $OUT (the
# device tool's) or .gpu-bench/out.
set -euo pipefail
cd "$(dirname "$0")/../.."
SIZE=${GPU_BENCH_SIZE:-124m}
VARIANTS=fused
while [ $# -gt 0 ]; do
  case "$1" in
    --size) SIZE=$2; shift 2 ;;
    --variants) VARIANTS=$2; shift 2 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
DIR=.gpu-bench
RESULTS=${OUT:-$DIR/out}
STAGE=${TMPDIR:-/tmp}/gpu-bench-run
mkdir -p "$RESULTS" "$STAGE/node_modules"
for needed in "$DIR/gpu-bench.mjs" "$DIR/node.xz" "$DIR/node_modules/webgpu/dist/linux-x64/dawn.node.xz"; do
  if [ ! -f "$needed" ]; then
    echo "run.sh: $needed is missing: run scripts/gpu-bench/prepare.sh first (and carry .gpu-bench and .gl)." >&2
    exit 1
  fi
done

# xz, or Python's lzma where the machine has no xz.
unxz_to() {
  if command -v xz > /dev/null; then xz -dc "$1" > "$2"; else
    python3 -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$1" "$2"
  fi
}

# The Vulkan loader: unpacked from the carried packages when the machine has none.
if ! ldconfig -p | grep -q 'libvulkan\.so\.1'; then
  if ls .gl/*.deb > /dev/null 2>&1; then
    for f in .gl/*.deb; do dpkg -x "$f" /; done
    ldconfig
  else
    echo "run.sh: no Vulkan loader here and no .gl/*.deb carried (prepare.sh downloads it)." >&2
    exit 1
  fi
fi
# The NVIDIA driver's Vulkan ICD, where the device tool's machines keep it.
NVIDIA_ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && [ -f "$NVIDIA_ICD" ]; then
  export VK_DRIVER_FILES=$NVIDIA_ICD
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi

# Node and Dawn, staged outside the tree.
NODE=$STAGE/node
if [ ! -x "$NODE" ] || [ "$("$NODE" --version 2> /dev/null)" != "$(cat "$DIR/node.version" 2> /dev/null)" ]; then
  unxz_to "$DIR/node.xz" "$NODE.tmp" && chmod +x "$NODE.tmp" && mv "$NODE.tmp" "$NODE"
fi
rm -rf "$STAGE/node_modules/webgpu"
cp -r "$DIR/node_modules/webgpu" "$STAGE/node_modules/webgpu"
unxz_to "$STAGE/node_modules/webgpu/dist/linux-x64/dawn.node.xz" "$STAGE/node_modules/webgpu/dist/linux-x64/dawn.node"
cp "$DIR/gpu-bench.mjs" "$STAGE/gpu-bench.mjs"

# A Python with torch: the first python3 on PATH, else Debian's.
PYTHON=python3
if ! "$PYTHON" -c 'import torch' 2> /dev/null; then PYTHON=/usr/bin/python3; fi

echo "gpu-bench: size $SIZE, variants $VARIANTS, node $("$NODE" --version), $("$PYTHON" -c 'import torch; print("torch", torch.__version__, "cuda" if torch.cuda.is_available() else "cpu")')"
export PYTHONUNBUFFERED=1
"$NODE" "$STAGE/gpu-bench.mjs" --size "$SIZE" --variants "$VARIANTS" 2>&1 | tee "$RESULTS/webgpu.log"
"$PYTHON" scripts/gpu-bench/torch_bench.py --size "$SIZE" 2>&1 | tee "$RESULTS/pytorch.log"
"$NODE" scripts/gpu-bench/summary.mjs "$RESULTS/webgpu.log" "$RESULTS/pytorch.log" | tee "$RESULTS/summary.txt"
