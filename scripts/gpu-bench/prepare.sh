#!/usr/bin/env bash
# Prepare what scripts/gpu-bench/run.sh needs on a GPU machine that has no
# registry, no Node and no Vulkan loader: run it here, once, from anywhere.
#
#   .gpu-bench/gpu-bench.mjs                 the webgpu bench, bundled (tfjs + @gpt2 inside)
#   .gpu-bench/node_modules/webgpu/          Dawn (dawn.node, xz -9)
#   .gpu-bench/node.xz                       this machine's Node binary (xz -9)
#   .gl/*.deb                                the Vulkan loader (libvulkan1), amd64
#
# Both folders are git-ignored; the device tool carries them:
#   run(command: "bash scripts/gpu-bench/run.sh", carry: [".gpu-bench", ".gl"])
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR=.gpu-bench
mkdir -p "$DIR/node_modules/webgpu/dist/linux-x64"

node scripts/gpu-bench/bundle.mjs "$DIR"

WEBGPU=$(cd packages/backends && node -e "console.log(require('path').dirname(require.resolve('webgpu/package.json')))")
cp "$WEBGPU/package.json" "$WEBGPU/index.js" "$WEBGPU/LICENSE.md" "$DIR/node_modules/webgpu/"
if [ ! -f "$DIR/node_modules/webgpu/dist/linux-x64/dawn.node.xz" ] ||
  [ "$WEBGPU/dist/linux-x64/dawn.node" -nt "$DIR/node_modules/webgpu/dist/linux-x64/dawn.node.xz" ]; then
  xz -9 -T1 -c "$WEBGPU/dist/linux-x64/dawn.node" > "$DIR/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
fi
rm -f "$DIR/node_modules/webgpu/dist/linux-x64/dawn.node"

# Node: ~99 MB, ~24 MB after xz -9 (about 90 s); kept while the version is the same.
NODE_VERSION=$(node --version)
if [ ! -f "$DIR/node.xz" ] || [ "$(cat "$DIR/node.version" 2>/dev/null)" != "$NODE_VERSION" ]; then
  xz -9 -T1 -c "$(command -v node)" > "$DIR/node.xz.tmp"
  mv "$DIR/node.xz.tmp" "$DIR/node.xz"
  echo "$NODE_VERSION" > "$DIR/node.version"
fi

# The Vulkan loader, as the device tool's README says (amd64 whatever this machine is).
if ! ls .gl/libvulkan1_*.deb > /dev/null 2>&1; then
  mkdir -p .gl /tmp/amd64/partial
  o='-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=/tmp/amd64'
  # shellcheck disable=SC2086
  apt-get $o update > /dev/null
  # shellcheck disable=SC2086
  (cd .gl && apt-get $o download libvulkan1)
fi

tracked=$(git ls-files -z --cached --others --exclude-standard | du -cb --files0-from=- 2> /dev/null | tail -1 | cut -f1)
carried=$(du -cb "$DIR" .gl | tail -1 | cut -f1)
total=$((tracked + carried))
echo "gpu-bench: carried $((carried / 1048576)) MiB + the working tree $((tracked / 1048576)) MiB = $((total / 1048576)) MiB (the device tool takes 64)"
if [ "$total" -gt $((64 * 1048576)) ]; then
  echo "gpu-bench: over the device tool's 64 MiB" >&2
  exit 1
fi
