"""Reading what `gpt2 prepare` writes: `manifest.json` and llm.c token shards.

A shard is llm.c's format (dev/data/data_common.py): 256 little-endian int32 -- magic 20240520, version (1: uint16
tokens; 2, our extension for vocabularies over 65,536: uint32), token count -- then the tokens. The manifest lists
each split's shards in order and holds the tokenizer (`tokenizer`, our JSON) the tokens were made with.
"""

import json
import os

import numpy as np
import torch

SHARD_MAGIC = 20240520
TOKEN_DTYPES = {1: np.uint16, 2: np.uint32}


def read_manifest(folder):
    path = os.path.join(folder, "manifest.json")
    with open(path) as f:
        manifest = json.load(f)
    if manifest.get("kind") != "gpt2-data.shards" or manifest.get("version") != 1:
        raise ValueError(f"{path} is not a manifest written by `gpt2 prepare`")
    return manifest


def open_shard(path):
    """The tokens of one shard, memory-mapped (nothing is read until used)."""
    header = np.fromfile(path, dtype="<i4", count=256)
    if len(header) < 256 or header[0] != SHARD_MAGIC:
        raise ValueError(f"{path}: not an llm.c token shard (magic {header[0] if len(header) else None})")
    if int(header[1]) not in TOKEN_DTYPES:
        raise ValueError(f"{path}: unknown shard version {header[1]}")
    dtype = np.dtype(TOKEN_DTYPES[int(header[1])]).newbyteorder("<")
    count = int(header[2])
    if os.path.getsize(path) != 1024 + count * dtype.itemsize:
        raise ValueError(f"{path}: {os.path.getsize(path)} bytes, the header announces {count} tokens")
    return np.memmap(path, dtype=dtype, mode="r", offset=1024, shape=(count,))


class Split:
    """One split (`train` or `val`) of a shard folder."""

    def __init__(self, folder, split):
        self.manifest = read_manifest(folder)
        self.shards = [open_shard(os.path.join(folder, s["file"])) for s in self.manifest[split]["shards"]]
        if not self.shards:
            raise ValueError(f"{folder}: the {split} split has no shards")

    def rows(self, T):
        """Non-overlapping training rows: (shard, start) of each T+1-token window, stepping T, within each shard."""
        rows = [(i, start) for i, shard in enumerate(self.shards) for start in range(0, len(shard) - T, T)]
        if not rows:
            raise ValueError(f"no shard holds a {T + 1}-token window")
        return rows

    def batch(self, rows, T):
        """Inputs and targets [len(rows), T] of the given rows, as int64 tensors."""
        windows = np.stack([np.asarray(self.shards[i][start : start + T + 1], dtype=np.int64) for i, start in rows])
        windows = torch.from_numpy(windows)
        return windows[:, :-1], windows[:, 1:]

    def tokens(self, limit=None):
        """The split's tokens in order, across shards (what `gpt2 eval --shards` reads), at most `limit`."""
        parts, left = [], limit if limit is not None else sum(len(s) for s in self.shards)
        for shard in self.shards:
            if left <= 0:
                break
            parts.append(np.asarray(shard[:left], dtype=np.int64))
            left -= len(parts[-1])
        return np.concatenate(parts)


def strided_windows(n, context, stride):
    """@gpt2/eval's planStridedWindows (Hugging Face's protocol, counted exactly): (begin, end, first scored)."""
    windows, previous_end, begin = [], 0, 0
    while begin < n:
        end = min(begin + context, n)
        windows.append((begin, end, max(previous_end, begin + 1)))
        previous_end = end
        if end == n:
            break
        begin += stride
    return windows


@torch.no_grad()
def perplexity(model, tokens, context, stride, device):
    """Summed and mean NLL (nats) of `tokens` under the strided-window protocol of `gpt2 eval`."""
    model.eval()
    nll_sum, scored = 0.0, 0
    for begin, end, first in strided_windows(len(tokens), context, stride):
        window = torch.from_numpy(tokens[begin:end]).to(device).unsqueeze(0)  # [1, t]
        logits, _ = model(window)
        logprobs = torch.log_softmax(logits[0].double(), dim=-1)  # [t, V], in float64 for the sum
        positions = torch.arange(first - begin, end - begin, device=device)
        nll_sum -= logprobs[positions - 1, window[0, positions]].sum().item()
        scored += len(positions)
    return {"numTokens": len(tokens), "numScored": scored, "contextLength": context, "stride": stride,
            "nllSum": nll_sum, "meanNll": nll_sum / scored}
