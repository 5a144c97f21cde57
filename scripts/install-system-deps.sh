#!/usr/bin/env bash
# System packages the full test suite needs (Debian/Ubuntu, run as root):
#   chromium    SwiftShader's Vulkan driver (WebGPU on a CPU-only machine) and the browser tests
#   libvulkan1  the Vulkan loader that Dawn (`webgpu` npm package) opens
#   python3-torch, python3-numpy  the PyTorch reference (interop test, benchmarks, regenerating fixtures)
#   gcc, libc6-dev, libopenblas0-pthread  the optional native BLAS kernel of @gpt2/backends
# Idempotent: skips apt when everything is already there.
set -euo pipefail
packages=(chromium libvulkan1 python3-torch python3-numpy gcc libc6-dev libopenblas0-pthread)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages: all present (${packages[*]})"
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "system packages missing: ${missing[*]} (install them with your package manager; tests that need them will skip outside CI)" >&2
  exit 0
fi
echo "installing system packages: ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
