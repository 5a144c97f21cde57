"""The PyTorch half of the GPU bench (scripts/gpu-bench/run.sh): the same training steps and greedy
generation as packages/trainer/bench/gpu-bench.ts, in PyTorch eager, on CUDA when there is a GPU
and on the CPU otherwise. Prints one line: RESULT {json}.

Usage (from the repository root): python3 scripts/gpu-bench/torch_bench.py --size 124m|tiny

Like with like: float32 everywhere (TF32 off), the reference model of tools/reference (HF layout,
tied head), nanoGPT's AdamW groups, gradient clipping at 1.0, a fixed batch; attention through
F.scaled_dot_product_attention where this torch has it (its best eager path), the reference's
explicit softmax otherwise. Generation: a prompt, then one token a step with a KV cache, argmax on
the device and the id read back.
"""

import argparse
import json
import math
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "reference"))
from gpt2_reference import GPT, CausalSelfAttention, GPTConfig  # noqa: E402

SIZES = {
    "124m": dict(n_layer=12, n_embd=768, n_head=12, vocab_size=50257, n_positions=1024, batch=8, steps=20, warmup=2, prompt=16, new_tokens=256),
    "tiny": dict(n_layer=2, n_embd=64, n_head=4, vocab_size=512, n_positions=64, batch=2, steps=4, warmup=1, prompt=8, new_tokens=8),
}
SDPA = hasattr(F, "scaled_dot_product_attention")


def attention(q, k, v, causal):
    """softmax(q·kᵀ/√d + causal mask)·v for [B, H, T, hd] tensors."""
    if SDPA:
        return F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    att = (q @ k.transpose(-2, -1)) / math.sqrt(q.size(-1))
    if causal:
        T, S = q.size(-2), k.size(-2)
        mask = torch.ones(T, S, dtype=torch.bool, device=q.device).tril(S - T)
        att = att.masked_fill(~mask, float("-inf"))
    return F.softmax(att, dim=-1) @ v


def heads(t, B, T, n_head):
    return t.view(B, T, n_head, -1).transpose(1, 2)  # [B, H, T, hd]


def attn_forward(self, x, past=None):
    B, T, C = x.shape
    q, k, v = (heads(t, B, T, self.n_head) for t in self.c_attn(x).split(C, dim=2))
    if past is not None:
        k = torch.cat((past[0], k), dim=2)
        v = torch.cat((past[1], v), dim=2)
    # With a cache, a single new token sees every key; the prompt (no cache) is causal.
    y = attention(q, k, v, causal=past is None)
    self.present = (k, v)
    return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


CausalSelfAttention.forward = attn_forward


@torch.no_grad()
def forward_cached(model, idx, past):
    """Logits of the last position for new tokens idx [B, T], extending the KV cache `past`."""
    B, T = idx.shape
    start = 0 if past is None else past[0][0].size(2)
    x = model.wte(idx) + model.wpe(torch.arange(start, start + T, device=idx.device))
    present = []
    for i, block in enumerate(model.h):
        x = x + block.attn(block.ln_1(x), None if past is None else past[i])
        present.append(block.attn.present)
        x = x + block.mlp(block.ln_2(x))
    x = model.ln_f(x[:, -1:, :])
    return x @ model.wte.weight.t(), present  # [B, 1, V]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default=os.environ.get("GPU_BENCH_SIZE", "124m"), choices=sorted(SIZES))
    options = SIZES[parser.parse_args().size]
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(0)
    config = GPTConfig(
        vocab_size=options["vocab_size"],
        n_positions=options["n_positions"],
        n_embd=options["n_embd"],
        n_layer=options["n_layer"],
        n_head=options["n_head"],
    )
    model = GPT(config).to(device)
    B, T, V = options["batch"], options["n_positions"], options["vocab_size"]
    ids = (torch.arange(B * T) * 7919 + 13) % V
    targets = (torch.arange(B * T) * 104729 + 1) % V
    ids, targets = ids.view(B, T).to(device), targets.view(B, T).to(device)
    opt = model.configure_optimizer(lr=3e-4, betas=(0.9, 0.95), weight_decay=0.1)

    def sync():
        if device == "cuda":
            torch.cuda.synchronize()

    losses, step_seconds = [], []
    for step in range(options["steps"]):
        sync()
        start = time.perf_counter()
        _, loss = model(ids, targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
        sync()
        if step >= options["warmup"]:
            step_seconds.append(time.perf_counter() - start)

    model.eval()
    prompt = ids[:1, : options["prompt"]]

    def generate(new_tokens):
        logits, past = forward_cached(model, prompt, None)
        out = []
        for i in range(new_tokens):
            token = logits[:, -1, :].argmax(dim=-1, keepdim=True)  # [1, 1]
            out.append(token.item())
            if i == new_tokens - 1:
                break
            logits, past = forward_cached(model, token, past)
        return out

    generate(2)  # warm-up
    sync()
    start = time.perf_counter()
    generated = generate(options["new_tokens"])
    sync()
    generate_seconds = time.perf_counter() - start
    train_seconds = sum(step_seconds)
    print(
        "RESULT "
        + json.dumps(
            {
                "side": "pytorch",
                "device": torch.cuda.get_device_name() if device == "cuda" else "cpu",
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
                "sdpa": SDPA,
                "size": parser.parse_args().size,
                "batch": B,
                "context": T,
                "parameters": sum(p.numel() for p in model.parameters()),
                "steps": options["steps"],
                "timedSteps": len(step_seconds),
                "losses": losses,
                "trainTokensPerSecond": len(step_seconds) * B * T / train_seconds,
                "msPerStep": 1000 * train_seconds / len(step_seconds),
                "newTokens": len(generated),
                "generateTokensPerSecond": len(generated) / generate_seconds,
                "msPerToken": 1000 * generate_seconds / len(generated),
                "generatedHead": generated[:8],
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
