"""Shared set-up of the reference benchmarks: options from argv, threads, seed, model."""

import json
import os
import sys

import torch

from gpt2_reference import GPT, GPTConfig


def bench_setup(defaults):
    """Merge the JSON options in argv[1] over `defaults`, set torch's threads and seed,
    and build the reference GPT-2 they describe. Returns (options, threads, model)."""
    options = {**defaults, **(json.loads(sys.argv[1]) if len(sys.argv) > 1 else {})}
    threads = int(options.get("threads", os.cpu_count() or 1))
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    config = GPTConfig(
        vocab_size=options["vocab_size"],
        n_positions=options["block_size"],
        n_embd=options["n_embd"],
        n_layer=options["n_layer"],
        n_head=options["n_head"],
    )
    return options, threads, GPT(config)
