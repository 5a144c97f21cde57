"""An independent GPT-2 in PyTorch, written like nanoGPT's model.py, for parity fixtures and benches.

Parameter names are Hugging Face's GPT-2 names without the `transformer.` prefix, and every
projection is a Conv1D whose weight is [in, out] (y = x @ W + b), exactly the layout of the
hub's `model.safetensors`. So `model.state_dict()` *is* an HF checkpoint: no renames, no transposes.

Architecture (Radford et al. 2019, as in HF `GPT2LMHeadModel` and nanoGPT):
  token + learned position embeddings -> n_layer pre-LN blocks -> final LayerNorm -> logits = x @ wte^T
  block:  x = x + attn(ln_1(x));  x = x + mlp(ln_2(x))
  attn:   causal multi-head self-attention, scores scaled by 1/sqrt(head_dim)
  mlp:    c_fc (C -> 4C), tanh-approximate GELU ("gelu_new"), c_proj (4C -> C)
Dropout is omitted: the fixtures are deterministic, evaluation-mode numbers.
"""

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class GPTConfig:
    vocab_size: int = 50257
    n_positions: int = 1024
    n_embd: int = 768
    n_layer: int = 12
    n_head: int = 12
    layer_norm_epsilon: float = 1e-5

    def to_hf(self):
        """config.json in Hugging Face's GPT-2 form."""
        return {
            "architectures": ["GPT2LMHeadModel"],
            "model_type": "gpt2",
            "vocab_size": self.vocab_size,
            "n_positions": self.n_positions,
            "n_ctx": self.n_positions,
            "n_embd": self.n_embd,
            "n_layer": self.n_layer,
            "n_head": self.n_head,
            "n_inner": None,
            "activation_function": "gelu_new",
            "layer_norm_epsilon": self.layer_norm_epsilon,
            "embd_pdrop": 0.0,
            "attn_pdrop": 0.0,
            "resid_pdrop": 0.0,
            "initializer_range": 0.02,
            "tie_word_embeddings": True,
            "bos_token_id": self.vocab_size - 1,
            "eos_token_id": self.vocab_size - 1,
        }

    @classmethod
    def from_hf(cls, hf):
        """The config of a Hugging Face GPT-2 config.json, refusing what the reference cannot run."""
        assert hf.get("tie_word_embeddings", True), "the reference ties lm_head to wte"
        assert hf.get("activation_function", "gelu_new") in ("gelu_new", "gelu_pytorch_tanh")
        return cls(
            vocab_size=hf["vocab_size"],
            n_positions=hf["n_positions"],
            n_embd=hf["n_embd"],
            n_layer=hf["n_layer"],
            n_head=hf["n_head"],
            layer_norm_epsilon=hf["layer_norm_epsilon"],
        )


def gelu_tanh(x):
    # GPT-2's GELU is the tanh approximation (HF "gelu_new"; Hendrycks & Gimpel 2016, eq. in sec. 2).
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class Conv1D(nn.Module):
    """HF's Conv1D: a linear layer whose weight is stored [in, out] (the TF-era layout GPT-2 shipped in)."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))  # [in, out]
        self.bias = nn.Parameter(torch.zeros(n_out))  # [out]

    def forward(self, x):
        return x @ self.weight + self.bias


class CausalSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        assert config.n_embd % config.n_head == 0, "n_embd must be divisible by n_head"
        self.n_head = config.n_head
        self.c_attn = Conv1D(config.n_embd, 3 * config.n_embd)  # q, k, v in one matmul
        self.c_proj = Conv1D(config.n_embd, config.n_embd)
        mask = torch.tril(torch.ones(config.n_positions, config.n_positions, dtype=torch.bool))
        # A buffer, not a parameter: it never appears in named_parameters() or the checkpoint.
        self.register_buffer("mask", mask.view(1, 1, config.n_positions, config.n_positions), persistent=False)

    def forward(self, x):
        B, T, C = x.shape
        hd = C // self.n_head
        q, k, v = self.c_attn(x).split(C, dim=2)  # 3 x [B, T, C]
        q = q.view(B, T, self.n_head, hd).transpose(1, 2)  # [B, H, T, hd]
        k = k.view(B, T, self.n_head, hd).transpose(1, 2)  # [B, H, T, hd]
        v = v.view(B, T, self.n_head, hd).transpose(1, 2)  # [B, H, T, hd]
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hd)  # [B, H, T, T]
        att = att.masked_fill(~self.mask[:, :, :T, :T], float("-inf"))
        att = F.softmax(att, dim=-1)
        y = att @ v  # [B, H, T, hd]
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # [B, T, C]
        return self.c_proj(y)

    def forward_cached(self, x, past):
        """forward() for new tokens only, given the keys and values of the earlier ones (a KV cache).
        `past` is None or (k, v), each [B, H, P, hd]; returns (y, (k, v)) with the new tokens appended."""
        B, T, C = x.shape
        hd = C // self.n_head
        q, k, v = self.c_attn(x).split(C, dim=2)  # 3 x [B, T, C]
        q = q.view(B, T, self.n_head, hd).transpose(1, 2)  # [B, H, T, hd]
        k = k.view(B, T, self.n_head, hd).transpose(1, 2)  # [B, H, T, hd]
        v = v.view(B, T, self.n_head, hd).transpose(1, 2)  # [B, H, T, hd]
        if past is not None:
            k = torch.cat((past[0], k), dim=2)  # [B, H, P+T, hd]
            v = torch.cat((past[1], v), dim=2)  # [B, H, P+T, hd]
        L = k.size(2)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(hd)  # [B, H, T, L]
        # The new tokens sit at positions L-T … L-1: each sees the keys up to its own position.
        att = att.masked_fill(~self.mask[:, :, L - T : L, :L], float("-inf"))
        att = F.softmax(att, dim=-1)
        y = att @ v  # [B, H, T, hd]
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # [B, T, C]
        return self.c_proj(y), (k, v)


class MLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.c_fc = Conv1D(config.n_embd, 4 * config.n_embd)
        self.c_proj = Conv1D(4 * config.n_embd, config.n_embd)

    def forward(self, x):
        return self.c_proj(gelu_tanh(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.mlp = MLP(config)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x

    def forward_cached(self, x, past):
        a, present = self.attn.forward_cached(self.ln_1(x), past)
        x = x + a
        x = x + self.mlp(self.ln_2(x))
        return x, present


class GPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.n_positions, config.n_embd)
        self.h = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)
        self.gpt2_init()

    def gpt2_init(self):
        """GPT-2 init: N(0, 0.02) weights, zero biases, residual projections scaled by 1/sqrt(2 n_layer)."""
        for name, p in self.named_parameters():
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name == "ln_f.weight":
                nn.init.ones_(p)
            elif name.endswith(".bias"):
                nn.init.zeros_(p)
            elif name.endswith("c_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * self.config.n_layer))
            else:
                nn.init.normal_(p, 0.0, 0.02)

    def forward(self, idx, targets=None, ignore_index=-1):
        B, T = idx.shape
        assert T <= self.config.n_positions, f"sequence of {T} exceeds n_positions {self.config.n_positions}"
        pos = torch.arange(T, device=idx.device)
        x = self.wte(idx) + self.wpe(pos)  # [B, T, C]
        for block in self.h:
            x = block(x)
        x = self.ln_f(x)
        logits = x @ self.wte.weight.t()  # [B, T, V]: lm_head tied to wte (Press & Wolf 2017)
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.reshape(B * T, -1), targets.reshape(-1), ignore_index=ignore_index)
        return logits, loss

    def configure_optimizer(self, lr, betas, weight_decay, eps=1e-8):
        """nanoGPT's param groups: decay every parameter with dim >= 2 (matrices, embeddings), not biases/LayerNorm."""
        params = [p for p in self.parameters() if p.requires_grad]
        decay = [p for p in params if p.dim() >= 2]
        no_decay = [p for p in params if p.dim() < 2]
        groups = [
            {"params": decay, "weight_decay": weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ]
        return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=eps)

    @torch.no_grad()
    def forward_cached(self, idx, cache):
        """Logits of the last position for new tokens `idx` [B, T], given `cache` (a list of
        per-layer (k, v), or None at the start). Returns (logits [B, V], cache)."""
        B, T = idx.shape
        start = 0 if cache is None else cache[0][0].size(2)
        assert start + T <= self.config.n_positions, "the KV cache is full: n_positions reached"
        pos = torch.arange(start, start + T, device=idx.device)
        x = self.wte(idx) + self.wpe(pos)  # [B, T, C]
        present = []
        for i, block in enumerate(self.h):
            x, kv = block.forward_cached(x, None if cache is None else cache[i])
            present.append(kv)
        x = self.ln_f(x[:, -1:, :])  # [B, 1, C]: only the last position is needed
        return (x @ self.wte.weight.t())[:, -1, :], present  # [B, V]

    @torch.no_grad()
    def generate_cached(self, idx, max_new_tokens):
        """Greedy generation with a KV cache: the prompt once, then one token per step (HF's
        `use_cache=True`). Stops with an error at n_positions, where a cache cannot grow."""
        logits, cache = self.forward_cached(idx, None)
        for i in range(max_new_tokens):
            next_id = torch.argmax(logits, dim=-1, keepdim=True)  # [B, 1]
            idx = torch.cat((idx, next_id), dim=1)
            if i + 1 < max_new_tokens:
                logits, cache = self.forward_cached(next_id, cache)
        return idx

    @torch.no_grad()
    def generate(self, idx, max_new_tokens):
        """nanoGPT's generate, greedy, without a KV cache: every step re-runs the (cropped) context."""
        for _ in range(max_new_tokens):
            context = idx if idx.size(1) <= self.config.n_positions else idx[:, -self.config.n_positions :]
            logits, _ = self(context)
            next_id = torch.argmax(logits[:, -1, :], dim=-1, keepdim=True)  # [B, 1]
            idx = torch.cat((idx, next_id), dim=1)
        return idx
