"""Loads an HF-layout GPT-2 folder (config.json + model.safetensors, F32/F16/BF16) into the reference GPT-2
and times greedy generation with its KV cache (`generate_cached`, as HF's `use_cache=True`): the peer of
`gpt2 sample` on a large checkpoint.

Usage (from the repository root):
    /usr/bin/python3 tools/reference/bench_generate_folder.py '{"folder":"/tmp/xl","prompt":[464, 5462],"new_tokens":32,"threads":2}'
Prints one JSON line: {"load_s", "generate_s", "tokens_per_s", "ids", "threads", "peak_rss_bytes", "torch"}.
tokens_per_s counts new tokens over the generation call, the prompt's prefill included; nothing is warmed up
(a cold `sample` is what a user runs). peak_rss_bytes is getrusage's ru_maxrss for the whole process.

Loading reads each tensor from the file straight into its parameter (widening F16/BF16 one tensor at a time)
and skips the random initialisation the file overwrites, so the peak stays near the float32 model, as
HF's loader with safetensors does: a fair peer for our streamed loader.
"""

import json
import os
import resource
import struct
import sys
import time

import numpy as np
import torch

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_reference import GPT, GPTConfig  # noqa: E402

_WIDTH = {"F32": 4, "F16": 2, "BF16": 2}


def load_folder(folder):
    with open(os.path.join(folder, "config.json")) as f:
        config = GPTConfig.from_hf(json.load(f))
    # Every parameter is overwritten below: skip the initialisation (it costs seconds at 1.5B).
    skipped = (GPT.gpt2_init, torch.nn.Embedding.reset_parameters, torch.nn.LayerNorm.reset_parameters)
    GPT.gpt2_init = lambda self: None
    torch.nn.Embedding.reset_parameters = lambda self: None
    torch.nn.LayerNorm.reset_parameters = lambda self: None
    try:
        model = GPT(config)
    finally:
        GPT.gpt2_init, torch.nn.Embedding.reset_parameters, torch.nn.LayerNorm.reset_parameters = skipped
    params = dict(model.named_parameters())
    loaded = set()
    with open(os.path.join(folder, "model.safetensors"), "rb") as f:
        (n,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(n).decode("utf-8"))
        header.pop("__metadata__", None)
        body = 8 + n
        for name, entry in header.items():
            key = name.removeprefix("transformer.")
            if key == "lm_head.weight":
                continue  # tied to wte
            param = params[key]
            assert list(param.shape) == entry["shape"], f"{name}: {entry['shape']} vs {list(param.shape)}"
            begin, end = entry["data_offsets"]
            dtype = entry["dtype"]
            assert end - begin == param.numel() * _WIDTH[dtype], f"{name}: byte size"
            f.seek(body + begin)
            target = param.detach().view(-1)
            if dtype == "F32":
                f.readinto(memoryview(target.numpy()).cast("B"))
            else:
                raw = np.empty(param.numel(), dtype="<i2")
                f.readinto(memoryview(raw).cast("B"))
                half = torch.from_numpy(raw).view(torch.bfloat16 if dtype == "BF16" else torch.float16)
                target.copy_(half.float())
            loaded.add(key)
    missing = set(params) - loaded
    assert not missing, f"missing tensors: {sorted(missing)[:5]}"
    return model.eval()


def main():
    options = json.loads(sys.argv[1])
    threads = int(options.get("threads", os.cpu_count() or 1))
    torch.set_num_threads(threads)
    start = time.perf_counter()
    model = load_folder(options["folder"])
    load_s = time.perf_counter() - start
    prompt = torch.tensor([options["prompt"]], dtype=torch.long)
    n = int(options.get("new_tokens", 32))
    start = time.perf_counter()
    out = model.generate_cached(prompt, n)
    generate_s = time.perf_counter() - start
    print(
        json.dumps(
            {
                "load_s": load_s,
                "generate_s": generate_s,
                "tokens_per_s": n / generate_s,
                "ids": out[0, prompt.shape[1] :].tolist(),
                "threads": threads,
                "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,  # KiB on Linux
                "torch": torch.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
