#!/usr/bin/env bash
# Quality of one candidate quickstart shape at a fixed step count: trains it with the quickstart's
# recipe (warmup min(100, steps/10), cosine to maxLr/10 at the last step, no dropout, seed 1337)
# through the gpt2 CLI, then scores the last checkpoint on the first 32,768 validation tokens
# (the quickstart's evaluation). The step count comes from the candidate's measured speed
# (quickstart-candidates.ts) and the time the quickstart leaves for training.
#
#   apps/cli/experiments/quickstart-quality.sh NAME VOCAB LAYERS HEADS WIDTH CONTEXT BATCH STEPS LR
#
# Needs a built CLI (pnpm turbo run build --filter=@gpt2/cli...) and shards in
# $EXPERIMENTS/shards$VOCAB from `gpt2 prepare --brown --tokenizer tok$VOCAB.json`
# (EXPERIMENTS defaults to .runs/experiments). Prints one RESULT line.
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=${EXPERIMENTS:-.runs/experiments}
name=$1 vocab=$2 layers=$3 heads=$4 width=$5 context=$6 batch=$7 steps=$8 lr=$9
warmup=$((steps / 10 < 100 ? steps / 10 : 100))
mkdir -p "$root/runs"
cfg="$root/$name.json"
cat >"$cfg" <<JSON
{ "model": { "preset": "gpt2-tiny", "nLayer": $layers, "nHead": $heads, "nEmbd": $width, "nPositions": $context,
             "embdPdrop": 0, "attnPdrop": 0, "residPdrop": 0 },
  "data": { "shards": "$(realpath "$root")/shards$vocab", "batchSize": $batch, "blockSize": $context },
  "training": { "maxSteps": $steps, "evalInterval": 0, "evalBatches": 8,
    "schedule": { "type": "cosine", "maxLr": $lr, "warmupSteps": $warmup, "decaySteps": $steps } },
  "out": "$(realpath "$root")/runs/$name", "seed": 1337 }
JSON
rm -rf "$root/runs/$name"
echo "== $name: $(uptime)"
start=$(date +%s)
node apps/cli/dist/bin.js train --config "$cfg" >/dev/null 2>&1
node apps/cli/dist/bin.js eval "$root/runs/$name/checkpoints/step-$(printf %08d "$steps")" \
  --shards "$root/shards$vocab" --max-tokens 32768 --batch-size 8 --json >"$root/$name.eval.json" 2>/dev/null
node -e "const r = JSON.parse(require('fs').readFileSync('$root/$name.eval.json', 'utf8'))[0];
console.log('RESULT $name steps=$steps lr=$lr perplexity=' + r.perplexity.toFixed(2) + ' loss=' + r.meanNll.toFixed(4) + ' bits/byte=' + r.bitsPerByte.toFixed(4) + ' scored=' + r.numScored)"
echo "took $(($(date +%s) - start)) s; $(uptime)"
