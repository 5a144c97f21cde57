"""Times greedy generation with the reference GPT-2 on CPU, without a KV cache (nanoGPT's `generate`).

Usage (from the repository root):
    /usr/bin/python3 tools/reference/bench_generate.py '{"n_layer":4,"n_head":4,"n_embd":128,"block_size":64,"vocab_size":512,"prompt_length":8,"new_tokens":32,"batch_size":1}'
Prints one JSON line: {"ms_per_token": ..., "tokens_per_s": ..., "threads": ..., ...}.
Each new token re-runs the whole (cropped) context, so the cost per token grows with the context.
One short warm-up generation runs first and is not timed.
"""

import json
import os
import sys
import time

import torch

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_setup import bench_setup  # noqa: E402

DEFAULTS = {
    "n_layer": 4,
    "n_head": 4,
    "n_embd": 128,
    "block_size": 64,
    "vocab_size": 512,
    "prompt_length": 8,
    "new_tokens": 32,
    "batch_size": 1,
}


def main():
    options, threads, model = bench_setup(DEFAULTS)
    model.eval()
    prompt = torch.randint(0, options["vocab_size"], (options["batch_size"], options["prompt_length"]))
    model.generate(prompt, 2)  # warm-up
    n = int(options["new_tokens"])
    start = time.perf_counter()
    out = model.generate(prompt, n)
    seconds = time.perf_counter() - start
    assert out.shape[1] == options["prompt_length"] + n
    print(
        json.dumps(
            {
                "ms_per_token": seconds * 1000 / n,
                "tokens_per_s": n * options["batch_size"] / seconds,
                "threads": threads,
                "new_tokens": n,
                "batch_size": options["batch_size"],
                "kv_cache": False,
                "torch": torch.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
