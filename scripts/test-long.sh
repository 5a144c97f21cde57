#!/usr/bin/env bash
# `pnpm test:long`: the checks that take minutes on SwiftShader, kept out of
# `pnpm test:all`. WebGPU in Node (Dawn + SwiftShader): PyTorch parity of the
# full step, 10 clipped AdamW steps, strided perplexity, cached = uncached
# generation, 100 training steps with flat memory; then the browser suite
# with GPT-2 124M generating in Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
export GPT2_LONG_TESTS=1
pnpm --filter @gpt2/model exec vitest run src/parity.test.ts -t webgpu
pnpm --filter @gpt2/eval exec vitest run src/perplexity.test.ts -t webgpu
pnpm --filter @gpt2/sampler exec vitest run src/webgpu-node.test.ts
pnpm --filter @gpt2/trainer exec vitest run src/gpt2.test.ts -t webgpu
pnpm test:browser
