"""LoRA for the reference GPT-2, with Hugging Face PEFT's semantics, written independently of the TypeScript code.

What PEFT does for GPT-2 (peft/tuners/lora/layer.py `Linear`, model.py, tuners_utils.py, utils/save_and_load.py):
  - the base Conv1D stays frozen; beside it sit lora_A = nn.Linear(in, r) (weight [r, in]) and
    lora_B = nn.Linear(r, out) (weight [out, r]), both without bias;
  - forward:  result = base(x) + lora_B(lora_A(dropout(x))) * scaling,  scaling = lora_alpha / r
    (lora_alpha / sqrt(r) with use_rslora);
  - init: kaiming_uniform_(lora_A.weight, a=sqrt(5)), zeros_(lora_B.weight);
  - merge with fan_in_fan_out=True (GPT-2's Conv1D stores [in, out]):  W += (B @ A)^T * scaling;
  - target_modules as a list: a module whose name equals a target or ends with "." + target;
    as a string: re.fullmatch against the module name; layers_to_transform filters suffix matches;
  - the saved state dict drops the adapter name: base_model.model.<module>.lora_A.weight.
Module names are those of transformers' GPT2LMHeadModel (`transformer.h.0.attn.c_attn`): this reference
model has no `transformer.` level, so it is added for matching and naming.
"""

import math
import re

import torch
import torch.nn as nn

from gpt2_reference import Conv1D

PEFT_PREFIX = "base_model.model."


class LoraConv1D(nn.Module):
    """A Conv1D with a LoRA branch (PEFT's lora.Linear with fan_in_fan_out=True)."""

    def __init__(self, base, r, alpha, dropout=0.0, use_rslora=False):
        super().__init__()
        self.base = base
        for p in self.base.parameters():
            p.requires_grad_(False)  # the base stays frozen
        n_in, n_out = base.weight.shape  # Conv1D: [in, out]
        self.r = r
        self.scaling = alpha / math.sqrt(r) if use_rslora else alpha / r
        dtype = base.weight.dtype
        self.lora_A = nn.Linear(n_in, r, bias=False, dtype=dtype)  # weight [r, in]
        self.lora_B = nn.Linear(r, n_out, bias=False, dtype=dtype)  # weight [out, r]
        self.lora_dropout = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        nn.init.kaiming_uniform_(self.lora_A.weight, a=math.sqrt(5))
        nn.init.zeros_(self.lora_B.weight)
        self.merged = False

    def delta_weight(self):
        """PEFT's get_delta_weight with fan_in_fan_out: transpose(B @ A) * scaling, in Conv1D's [in, out]."""
        return (self.lora_B.weight @ self.lora_A.weight).T * self.scaling

    def merge(self):
        with torch.no_grad():
            self.base.weight += self.delta_weight()
        self.merged = True

    def forward(self, x):
        result = self.base(x)
        if self.merged:
            return result
        return result + self.lora_B(self.lora_A(self.lora_dropout(x))) * self.scaling


def target_matches(key, targets, layers_to_transform=None):
    """PEFT's check_target_module_exists for list and regex targets (layers_pattern left to its default)."""
    if isinstance(targets, str):
        return re.fullmatch(targets, key) is not None
    if key in targets:
        return True
    if not any(key.endswith("." + t) for t in targets):
        return False
    if layers_to_transform is None:
        return True
    match = re.match(r".*\.[^.]*\.(\d+)\.", key)
    return match is not None and int(match.group(1)) in layers_to_transform


def apply_lora(model, targets, r, alpha, dropout=0.0, use_rslora=False, layers_to_transform=None):
    """Replaces every matching Conv1D with a LoraConv1D; returns {peft module name: LoraConv1D}."""
    for p in model.parameters():
        p.requires_grad_(False)
    adapted = {}
    for name, module in list(model.named_modules()):
        key = "transformer." + name
        if isinstance(module, Conv1D) and target_matches(key, targets, layers_to_transform):
            parent_name, _, child = name.rpartition(".")
            wrapped = LoraConv1D(module, r, alpha, dropout, use_rslora)
            setattr(model.get_submodule(parent_name), child, wrapped)
            adapted[key] = wrapped
    assert adapted, f"target_modules {targets!r} matched no Conv1D"
    return adapted


def peft_state_dict(adapted):
    """The adapter's tensors under PEFT's names (what adapter_model.safetensors holds)."""
    out = {}
    for key, layer in adapted.items():
        out[f"{PEFT_PREFIX}{key}.lora_A.weight"] = layer.lora_A.weight.detach().clone()
        out[f"{PEFT_PREFIX}{key}.lora_B.weight"] = layer.lora_B.weight.detach().clone()
    return out


def load_peft_state_dict(adapted, tensors):
    """Strict load: every adapted layer needs both tensors with the right shapes, and no tensor is left over."""
    expected = set()
    with torch.no_grad():
        for key, layer in adapted.items():
            for part in ("lora_A", "lora_B"):
                name = f"{PEFT_PREFIX}{key}.{part}.weight"
                expected.add(name)
                target = getattr(layer, part).weight
                value = tensors[name]
                assert value.shape == target.shape, f"{name}: {tuple(value.shape)} != {tuple(target.shape)}"
                target.copy_(value.to(target.dtype))
    extra = set(tensors) - expected
    assert not extra, f"unexpected tensors: {sorted(extra)[:3]}"


def lora_parameters(adapted):
    """The trainable parameters, A then B per layer, in module order."""
    params = []
    for layer in adapted.values():
        params += [layer.lora_A.weight, layer.lora_B.weight]
    return params
