"""Times greedy generation with the reference GPT-2 on CPU, with a KV cache (`generate_cached`,
as HF's `use_cache=True`) or without one (nanoGPT's `generate`: every token re-runs the context).

Usage (from the repository root):
    /usr/bin/python3 tools/reference/bench_generate.py '{"n_layer":4,"n_head":4,"n_embd":128,"block_size":64,"vocab_size":512,"prompt_length":8,"new_tokens":32,"batch_size":1}'
Options: "kv_cache": true|false (default false), "threads" (default: all cores).
Prints one JSON line: {"ms_per_token": ..., "tokens_per_s": ..., "threads": ..., "kv_cache": ..., "torch": ...}.
tokens/s counts new tokens over the whole call, the prompt's prefill included.
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
    "kv_cache": False,
}


def main():
    options, threads, model = bench_setup(DEFAULTS)
    model.eval()
    prompt = torch.randint(0, options["vocab_size"], (options["batch_size"], options["prompt_length"]))
    generate = model.generate_cached if options["kv_cache"] else model.generate
    warm = generate(prompt, 2)  # warm-up
    # The cached path must produce what the plain forward pass does, or its speed means nothing.
    assert torch.equal(warm, model.generate(prompt, 2)), "generate_cached differs from generate"

    n = int(options["new_tokens"])
    start = time.perf_counter()
    out = generate(prompt, n)
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
                "kv_cache": bool(options["kv_cache"]),
                "torch": torch.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
