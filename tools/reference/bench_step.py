"""Times one training step (forward + backward + AdamW step) of the reference GPT-2 on CPU.

Usage (from the repository root):
    /usr/bin/python3 tools/reference/bench_step.py '{"n_layer":4,"n_head":4,"n_embd":128,"block_size":64,"batch_size":8,"vocab_size":512,"steps":5}'
Prints one JSON line: {"ms_per_step": ..., "tokens_per_s": ..., "threads": ..., "peak_rss_bytes": ..., ...}
(peak_rss_bytes: the process's largest resident set, getrusage's ru_maxrss).
The first step (allocation, thread-pool start) is a warm-up and is not timed.
"""

import json
import os
import resource
import sys
import time

import torch

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_setup import bench_setup  # noqa: E402

DEFAULTS = {"n_layer": 4, "n_head": 4, "n_embd": 128, "block_size": 64, "batch_size": 8, "vocab_size": 512, "steps": 5}


def main():
    options, threads, model = bench_setup(DEFAULTS)
    opt = model.configure_optimizer(lr=3e-4, betas=(0.9, 0.95), weight_decay=0.1)
    B, T = options["batch_size"], options["block_size"]
    ids = torch.randint(0, options["vocab_size"], (B, T))
    targets = torch.randint(0, options["vocab_size"], (B, T))

    def step():
        _, loss = model(ids, targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    step()  # warm-up
    steps = max(1, int(options["steps"]))
    start = time.perf_counter()
    for _ in range(steps):
        loss = step()
    seconds = (time.perf_counter() - start) / steps
    print(
        json.dumps(
            {
                "ms_per_step": seconds * 1000,
                "tokens_per_s": B * T / seconds,
                "threads": threads,
                "steps": steps,
                "params": sum(p.numel() for p in model.parameters()),
                "loss": loss,
                "torch": torch.__version__,
                "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,  # KiB on Linux
            }
        )
    )


if __name__ == "__main__":
    main()
