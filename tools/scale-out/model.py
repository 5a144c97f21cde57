"""GPT-2 in PyTorch, nanoGPT-sized, with Hugging Face's parameter names and Conv1D layout.

The state dict *is* a Hugging Face GPT-2 checkpoint without the `transformer.` prefix (and without the tied
`lm_head.weight`): `wte.weight`, `h.{i}.attn.c_attn.weight` [in, out], ... -- exactly what @gpt2/model writes and
reads, so checkpoints move between this recipe and the gpt2 CLI with no renames or transposes.

  token + position embeddings -> dropout -> n_layer pre-LN blocks -> ln_f -> logits = x @ wte^T (tied head)
  block: x = x + attn(ln_1(x)); x = x + mlp(ln_2(x)); tanh GELU; causal attention scaled by 1/sqrt(head_dim)
"""

import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

# torch >= 2 has a fused (flash) attention kernel; torch 1.13 (Debian's) falls back to the explicit softmax.
HAS_SDPA = hasattr(F, "scaled_dot_product_attention")


@dataclass
class GPTConfig:
    vocab_size: int
    n_positions: int
    n_embd: int
    n_layer: int
    n_head: int
    layer_norm_epsilon: float = 1e-5
    embd_pdrop: float = 0.0
    attn_pdrop: float = 0.0
    resid_pdrop: float = 0.0


class Conv1D(nn.Module):
    """HF's Conv1D: a linear layer with its weight stored [in, out] (y = x @ W + b)."""

    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(n_in, n_out))  # [in, out]
        self.bias = nn.Parameter(torch.zeros(n_out))  # [out]

    def forward(self, x):
        return x @ self.weight + self.bias


def gelu_tanh(x):
    # GPT-2's GELU is the tanh approximation (HF "gelu_new").
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


class CausalSelfAttention(nn.Module):
    def __init__(self, config):
        super().__init__()
        assert config.n_embd % config.n_head == 0, "n_embd must be divisible by n_head"
        self.n_head = config.n_head
        self.attn_pdrop = config.attn_pdrop
        self.c_attn = Conv1D(config.n_embd, 3 * config.n_embd)
        self.c_proj = Conv1D(config.n_embd, config.n_embd)
        self.resid_dropout = nn.Dropout(config.resid_pdrop)
        if not HAS_SDPA:
            # Additive float mask (0 on and below the diagonal, -inf above): gloo cannot broadcast bool buffers.
            P = config.n_positions
            mask = torch.full((P, P), float("-inf")).triu(1)
            self.register_buffer("mask", mask.view(1, 1, P, P), persistent=False)
            self.attn_dropout = nn.Dropout(config.attn_pdrop)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)  # 3 x [B, T, C]
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # [B, H, T, hd]
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # [B, H, T, hd]
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # [B, H, T, hd]
        if HAS_SDPA:
            p = self.attn_pdrop if self.training else 0.0
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)  # [B, H, T, hd]
        else:
            att = (q @ k.transpose(-2, -1)) / math.sqrt(k.size(-1))  # [B, H, T, T]
            att = att + self.mask[:, :, :T, :T]
            y = self.attn_dropout(F.softmax(att, dim=-1)) @ v  # [B, H, T, hd]
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # [B, T, C]
        return self.resid_dropout(self.c_proj(y))


class MLP(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.c_fc = Conv1D(config.n_embd, 4 * config.n_embd)
        self.c_proj = Conv1D(4 * config.n_embd, config.n_embd)
        self.dropout = nn.Dropout(config.resid_pdrop)

    def forward(self, x):
        return self.dropout(self.c_proj(gelu_tanh(self.c_fc(x))))


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


class GPT(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.n_positions, config.n_embd)
        self.drop = nn.Dropout(config.embd_pdrop)
        self.h = nn.ModuleList([Block(config) for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embd, eps=config.layer_norm_epsilon)

    @torch.no_grad()
    def gpt2_init(self):
        """GPT-2's init: N(0, 0.02), zero biases, unit LayerNorm gains, residual projections / sqrt(2 n_layer)."""
        for name, p in self.named_parameters():
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name == "ln_f.weight":
                nn.init.ones_(p)
            elif name.endswith(".bias"):
                nn.init.zeros_(p)
            elif name.endswith("c_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * self.config.n_layer))
            else:
                nn.init.normal_(p, 0.0, 0.02)

    def forward(self, idx, targets=None):
        B, T = idx.shape
        assert T <= self.config.n_positions, f"sequence of {T} exceeds n_positions {self.config.n_positions}"
        pos = torch.arange(T, device=idx.device)
        x = self.drop(self.wte(idx) + self.wpe(pos))  # [B, T, C]
        for block in self.h:
            x = block(x)
        logits = self.ln_f(x) @ self.wte.weight.t()  # [B, T, V]: head tied to wte
        if targets is None:
            return logits, None
        loss = F.cross_entropy(logits.float().reshape(B * T, -1), targets.reshape(-1), ignore_index=-1)
        return logits, loss

    def optimizer(self, lr, betas, eps, weight_decay, fused=False):
        """AdamW with decay on every parameter of rank >= 2 (matrices, embeddings), as @gpt2/trainer does."""
        params = [p for p in self.parameters() if p.requires_grad]
        groups = [
            {"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
            {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
        ]
        extra = {"fused": True} if fused else {}
        return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=eps, **extra)


# @gpt2/model's presets (packages/model/src/presets.ts), camelCase as in our train configs. A test keeps them equal.
_GPT2 = {"vocabSize": 50257, "nPositions": 1024, "layerNormEpsilon": 1e-5, "embdPdrop": 0.1, "attnPdrop": 0.1,
         "residPdrop": 0.1, "bias": True, "tieWordEmbeddings": True, "positionEmbedding": "learned"}
PRESETS = {
    "gpt2": {**_GPT2, "nEmbd": 768, "nLayer": 12, "nHead": 12},
    "gpt2-medium": {**_GPT2, "nEmbd": 1024, "nLayer": 24, "nHead": 16},
    "gpt2-large": {**_GPT2, "nEmbd": 1280, "nLayer": 36, "nHead": 20},
    "gpt2-xl": {**_GPT2, "nEmbd": 1600, "nLayer": 48, "nHead": 25},
    "gpt2-tiny": {**_GPT2, "vocabSize": 512, "nPositions": 64, "nEmbd": 32, "nLayer": 2, "nHead": 2,
                  "embdPdrop": 0.0, "attnPdrop": 0.0, "residPdrop": 0.0},
    "gpt2-mini": {**_GPT2, "nPositions": 256, "nEmbd": 256, "nLayer": 4, "nHead": 4},
    "gpt2-small-char": {**_GPT2, "vocabSize": 256, "nPositions": 256, "nEmbd": 384, "nLayer": 6, "nHead": 6,
                        "embdPdrop": 0.2, "attnPdrop": 0.2, "residPdrop": 0.2, "bias": False},
}


def config_from_section(section, vocab_size=None):
    """GPTConfig from a train config's `model` section: a preset (default gpt2) with fields over it."""
    fields = dict(section or {})
    preset = fields.pop("preset", "gpt2")
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; valid: {', '.join(PRESETS)}")
    unknown = set(fields) - set(PRESETS["gpt2"])
    if unknown:
        raise ValueError(f"unknown model keys {sorted(unknown)}; valid: preset, {', '.join(PRESETS['gpt2'])}")
    merged = {**PRESETS[preset], **({"vocabSize": vocab_size} if vocab_size and "vocabSize" not in fields else {}), **fields}
    if not merged["bias"] or not merged["tieWordEmbeddings"] or merged["positionEmbedding"] != "learned":
        raise ValueError("this recipe trains GPT-2 with biases, tied embeddings and learned positions")
    return GPTConfig(
        vocab_size=merged["vocabSize"],
        n_positions=merged["nPositions"],
        n_embd=merged["nEmbd"],
        n_layer=merged["nLayer"],
        n_head=merged["nHead"],
        layer_norm_epsilon=merged["layerNormEpsilon"],
        embd_pdrop=merged["embdPdrop"],
        attn_pdrop=merged["attnPdrop"],
        resid_pdrop=merged["residPdrop"],
    )
