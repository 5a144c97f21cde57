"""Exports the reference GPT-2 to ONNX with a KV cache, for the ONNX Runtime peer of the generation bench.

Usage (from the repository root):
    /usr/bin/python3 tools/reference/export_onnx.py OUT_DIR '{"n_layer":12,"n_head":12,"n_embd":768,"block_size":1024,"vocab_size":50257}'

Writes to OUT_DIR:
    prefill.onnx       the prompt: no past; logits of the LAST position only [B, 1, V], like ours
    decode.onnx        new tokens after a past: logits [B, T, V]
    model.safetensors  the same weights, HF names and Conv1D layout (our model loads them):
                       random (seed 0): wte ~ N(0, 0.05), matrices ~ N(0, 2.3/sqrt(fan_in)), biases ~ N(0, 0.1)
    config.json        HF-form config
and prints one JSON line {"prefill": path, "decode": path, "seconds": ...}.

Inputs and outputs are named as transformers.js names them for its GPT-2 decoders:
    input_ids [B, T] int64, attention_mask [B, L+T] int64, position_ids [B, T] int64,
    past_key_values.{i}.key / .value [B, H, L, hd] float32 (decode only)
    -> logits, present.{i}.key / .value [B, H, L+T, hd]
`torch.onnx.export` at opset 14 needs no `onnx` Python package. The graphs compute exactly
`gpt2_reference.GPT` (same modules, same weights); attention follows HF's GPT-2: the cache is
concatenated, the causal mask applies to the new positions, and attention_mask zeros are masked.
"""

import json
import math
import os
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_reference import GPT, GPTConfig, gelu_tanh  # noqa: E402
from safetensors_io import save_file  # noqa: E402

OPSET = 14


class CachedGPT(nn.Module):
    """`GPT` with a KV cache in transformers.js's I/O convention. `last_only` keeps the last position's logits."""

    def __init__(self, model, with_past, last_only):
        super().__init__()
        self.model = model
        self.with_past = with_past
        self.last_only = last_only

    def forward(self, input_ids, attention_mask, position_ids, *past):
        m = self.model
        B, T = input_ids.shape
        x = m.wte(input_ids) + m.wpe(position_ids)  # [B, T, C]
        C = m.config.n_embd
        H = m.config.n_head
        hd = C // H
        # Additive mask [B, 1, T, L+T]: causal among the new positions, and padding from attention_mask.
        total = attention_mask.shape[1]
        past_length = total - T
        keys_pos = torch.arange(total, device=x.device).view(1, total)
        query_pos = (torch.arange(T, device=x.device) + past_length).view(T, 1)
        allowed = (keys_pos <= query_pos).view(1, 1, T, total) & (attention_mask.view(B, 1, 1, total) > 0)
        bias = torch.zeros(allowed.shape, dtype=x.dtype).masked_fill(~allowed, torch.finfo(x.dtype).min)
        presents = []
        for i, block in enumerate(m.h):
            h = block.ln_1(x)
            q, k, v = block.attn.c_attn(h).split(C, dim=2)  # 3 x [B, T, C]
            q = q.view(B, T, H, hd).transpose(1, 2)  # [B, H, T, hd]
            k = k.view(B, T, H, hd).transpose(1, 2)  # [B, H, T, hd]
            v = v.view(B, T, H, hd).transpose(1, 2)  # [B, H, T, hd]
            if self.with_past:
                k = torch.cat((past[2 * i], k), dim=2)  # [B, H, L+T, hd]
                v = torch.cat((past[2 * i + 1], v), dim=2)  # [B, H, L+T, hd]
            presents += [k, v]
            att = (q @ k.transpose(-2, -1)) / math.sqrt(hd) + bias  # [B, H, T, L+T]
            y = F.softmax(att, dim=-1) @ v  # [B, H, T, hd]
            y = y.transpose(1, 2).reshape(B, T, C)  # [B, T, C]
            x = x + block.attn.c_proj(y)
            x = x + block.mlp.c_proj(gelu_tanh(block.mlp.c_fc(block.ln_2(x))))
        if self.last_only:
            x = x[:, -1:, :]  # [B, 1, C]: the only logits a sampler needs
        logits = m.ln_f(x) @ m.wte.weight.t()  # [B, T or 1, V]
        return (logits, *presents)


def export(module, path, n_layer, with_past, example):
    names_in = ["input_ids", "attention_mask", "position_ids"]
    names_out = ["logits"]
    axes = {
        "input_ids": {0: "batch_size", 1: "sequence_length"},
        "attention_mask": {0: "batch_size", 1: "total_sequence_length"},
        "position_ids": {0: "batch_size", 1: "sequence_length"},
        "logits": {0: "batch_size", 1: "sequence_length"},
    }
    for i in range(n_layer):
        for part in ("key", "value"):
            if with_past:
                name = f"past_key_values.{i}.{part}"
                names_in.append(name)
                axes[name] = {0: "batch_size", 2: "past_sequence_length"}
            name = f"present.{i}.{part}"
            names_out.append(name)
            axes[name] = {0: "batch_size", 2: "total_sequence_length"}
    with torch.no_grad():
        torch.onnx.export(
            module,
            example,
            path,
            input_names=names_in,
            output_names=names_out,
            dynamic_axes=axes,
            opset_version=OPSET,
            do_constant_folding=True,
        )


def main():
    out = sys.argv[1]
    options = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    start = time.perf_counter()
    torch.manual_seed(int(options.get("seed", 0)))
    config = GPTConfig(
        vocab_size=options["vocab_size"],
        n_positions=options["block_size"],
        n_embd=options["n_embd"],
        n_layer=options["n_layer"],
        n_head=options["n_head"],
    )
    model = GPT(config).eval()
    with torch.no_grad():
        # GPT-2's init gives near-uniform logits, and with wide embeddings the tied head echoes the
        # input: greedy decoding then repeats one token. Narrow embeddings, wide matrices and
        # non-zero biases make the tokens vary, so comparing the ids the peers generate checks
        # that they compute the same function.
        model.wte.weight.normal_(0.0, 0.05)
        for name, p in model.named_parameters():
            if name.endswith(".bias"):
                p.normal_(0.0, 0.1)
            elif p.dim() == 2 and not name.startswith("w"):
                p.normal_(0.0, 2.3 / math.sqrt(p.shape[0]))
    os.makedirs(out, exist_ok=True)
    weights = {name: p.detach().contiguous() for name, p in model.state_dict().items()}
    save_file(weights, os.path.join(out, "model.safetensors"), {"format": "pt"})
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config.to_hf(), f, indent=2)

    B, T, L = 1, 3, 4
    H, hd = config.n_head, config.n_embd // config.n_head
    ids = torch.randint(0, config.vocab_size, (B, T))
    prefill = os.path.join(out, "prefill.onnx")
    export(
        CachedGPT(model, with_past=False, last_only=True),
        prefill,
        config.n_layer,
        False,
        (ids, torch.ones(B, T, dtype=torch.long), torch.arange(T).view(1, T)),
    )
    past = tuple(torch.randn(B, H, L, hd) for _ in range(2 * config.n_layer))
    decode = os.path.join(out, "decode.onnx")
    export(
        CachedGPT(model, with_past=True, last_only=False),
        decode,
        config.n_layer,
        True,
        (ids, torch.ones(B, L + T, dtype=torch.long), torch.arange(L, L + T).view(1, T), *past),
    )
    print(json.dumps({"prefill": prefill, "decode": decode, "seconds": time.perf_counter() - start}))


if __name__ == "__main__":
    main()
