"""Writes the LoRA parity fixtures for @gpt2/model and @gpt2/trainer.

Run from the repository root with Debian's Python (torch 1.13), after make_fixtures.py:
    /usr/bin/python3 tools/reference/make_lora_fixtures.py

The base model is the committed fixture (packages/model/src/__fixtures__/reference-model.safetensors).
Outputs, in packages/model/src/__fixtures__/lora/:
    adapter_config.json          a PEFT LoRA config, written as PEFT's save_pretrained writes it
    adapter_model.safetensors    the adapter under PEFT's tensor names ([r, in] and [out, r])
    lora-io.safetensors          reference outputs: logits, loss, gradients of every A and B,
                                 10 AdamW steps on the adapters only, merged weights
See tools/reference/README.md ("LoRA fixtures") for the protocols.
"""

import json
import os
import sys

import torch

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_reference import GPT, GPTConfig  # noqa: E402
from lora_reference import apply_lora, load_peft_state_dict, lora_parameters, peft_state_dict  # noqa: E402
from safetensors_io import load_file, save_file  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(ROOT, "packages", "model", "src", "__fixtures__")
OUT = os.path.join(FIXTURES, "lora")

SEED = 4321
# Every kind of layer: c_attn, both c_proj (suffix match) and c_fc (by a dotted suffix).
LORA = {"r": 4, "lora_alpha": 12, "lora_dropout": 0.0, "target_modules": ["c_attn", "c_proj", "mlp.c_fc"]}
B_STD = 0.1  # B is zero after PEFT's init; trained-looking values make the adapter (and A's gradient) matter
BATCH, SEQ = 2, 16
ADAMW = {"lr": 2e-3, "beta1": 0.9, "beta2": 0.95, "eps": 1e-8, "weight_decay": 0.1, "grad_clip": 1.0, "steps": 10}


def peft_config():
    """adapter_config.json as PEFT 0.13's LoraConfig.save_pretrained writes it (sorted keys, indent 2)."""
    return {
        "alpha_pattern": {},
        "auto_mapping": None,
        "base_model_name_or_path": "packages/model/src/__fixtures__",
        "bias": "none",
        "exclude_modules": None,
        "fan_in_fan_out": True,
        "inference_mode": True,
        "init_lora_weights": True,
        "layer_replication": None,
        "layers_pattern": None,
        "layers_to_transform": None,
        "loftq_config": {},
        "lora_alpha": LORA["lora_alpha"],
        "lora_bias": False,
        "lora_dropout": LORA["lora_dropout"],
        "megatron_config": None,
        "megatron_core": "megatron.core",
        "modules_to_save": None,
        "peft_type": "LORA",
        "r": LORA["r"],
        "rank_pattern": {},
        "revision": None,
        "target_modules": LORA["target_modules"],
        "task_type": "CAUSAL_LM",
        "use_dora": False,
        "use_rslora": False,
    }


def base_model(config, dtype):
    tensors, _ = load_file(os.path.join(FIXTURES, "reference-model.safetensors"))
    model = GPT(config).to(dtype)
    model.load_state_dict({k: v.to(dtype) for k, v in tensors.items()}, strict=True)
    return model


def adapted_model(config, dtype, adapter):
    model = base_model(config, dtype)
    adapted = apply_lora(model, LORA["target_modules"], LORA["r"], LORA["lora_alpha"], LORA["lora_dropout"])
    load_peft_state_dict(adapted, adapter)
    return model, adapted


def adamw_run(config, dtype, adapter, ids, targets):
    """10 AdamW steps on the adapters only; losses before each step, grad norms before clipping, final adapter."""
    model, adapted = adapted_model(config, dtype, adapter)
    params = lora_parameters(adapted)
    # nanoGPT's param groups put every dim >= 2 tensor in the decayed group: all of A and B.
    opt = torch.optim.AdamW(
        params, lr=ADAMW["lr"], betas=(ADAMW["beta1"], ADAMW["beta2"]), eps=ADAMW["eps"],
        weight_decay=ADAMW["weight_decay"],
    )
    losses, norms = [], []
    for _ in range(ADAMW["steps"]):
        _, loss = model(ids, targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(params, ADAMW["grad_clip"])
        opt.step()
        losses.append(loss.item())
        norms.append(norm.item())
    base_grads = [p.grad for p in model.parameters() if not p.requires_grad]
    assert all(g is None for g in base_grads), "the base weights must get no gradient"
    return losses, norms, peft_state_dict(adapted)


def main():
    config_hf = json.load(open(os.path.join(FIXTURES, "config.json")))
    config = GPTConfig(
        vocab_size=config_hf["vocab_size"], n_positions=config_hf["n_positions"], n_embd=config_hf["n_embd"],
        n_layer=config_hf["n_layer"], n_head=config_hf["n_head"], layer_norm_epsilon=config_hf["layer_norm_epsilon"],
    )
    os.makedirs(OUT, exist_ok=True)

    # The adapter: PEFT's init for A (torch's RNG), then B ~ N(0, B_STD²).
    torch.manual_seed(SEED)
    model32 = base_model(config, torch.float32)
    adapted32 = apply_lora(model32, LORA["target_modules"], LORA["r"], LORA["lora_alpha"], LORA["lora_dropout"])
    with torch.no_grad():
        for layer in adapted32.values():
            layer.lora_B.weight.normal_(0.0, B_STD)
    adapter = peft_state_dict(adapted32)
    save_file(adapter, os.path.join(OUT, "adapter_model.safetensors"), {"format": "pt"})
    with open(os.path.join(OUT, "adapter_config.json"), "w") as f:
        json.dump(peft_config(), f, indent=2, sort_keys=True)
        f.write("\n")

    gen = torch.Generator().manual_seed(SEED + 1)
    stream = torch.randint(0, config.vocab_size, (BATCH, SEQ + 1), generator=gen)
    ids, targets = stream[:, :-1].contiguous(), stream[:, 1:].contiguous()

    # Logits, loss and the gradient of every A and B, in float64 from the float32 values.
    model64, adapted64 = adapted_model(config, torch.float64, adapter)
    logits64, loss64 = model64(ids, targets)
    loss64.backward()
    grads = {}
    for key, layer in adapted64.items():
        grads[f"grad.{key}.lora_A.weight"] = layer.lora_A.weight.grad.detach().float()
        grads[f"grad.{key}.lora_B.weight"] = layer.lora_B.weight.grad.detach().float()
    base64 = base_model(config, torch.float64)
    with torch.no_grad():
        base_logits, _ = base64(ids)

    losses64, norms64, final64 = adamw_run(config, torch.float64, adapter, ids, targets)
    losses32, _, _ = adamw_run(config, torch.float32, adapter, ids, targets)

    # Merged weights: W + (B @ A)^T * scaling, in float64, for every adapted layer, Conv1D [in, out].
    merged = {}
    with torch.no_grad():
        for key, layer in adapted64.items():
            merged[f"merged.{key}.weight"] = (layer.base.weight + layer.delta_weight()).float()
        for layer in adapted64.values():
            layer.merge()
        merged_logits, _ = model64(ids)
    merge_gap = ((merged_logits - logits64).abs().max() / logits64.abs().max()).item()

    io = {
        "ids": ids.to(torch.int32),
        "targets": targets.to(torch.int32),
        "logits": logits64.detach().float(),
        "loss.f64": loss64.detach().reshape(()),
        **grads,
        "adamw.losses.f64": torch.tensor(losses64, dtype=torch.float64),
        "adamw.losses.torch_float32": torch.tensor(losses32, dtype=torch.float32),
        "adamw.grad_norms.f64": torch.tensor(norms64, dtype=torch.float64),
        **{f"adamw.final.{k[len('base_model.model.'):]}": v.float() for k, v in final64.items()},
        **merged,
    }
    meta = {
        "format": "pt",
        "producer": "tools/reference/make_lora_fixtures.py (see tools/reference/README.md)",
        "torch": torch.__version__,
        "seed": str(SEED),
        "lora": json.dumps({**LORA, "b_std": B_STD}),
        "precision": "float64 forward/backward from the float32 base and adapter; stored as F32, scalars as F64",
        "grad": "grad.<module>.lora_A.weight [r, in] / lora_B.weight [out, r] = d loss / d tensor (PEFT layout)",
        "adamw": json.dumps(
            {
                **ADAMW,
                "params": "lora_A and lora_B of every adapted layer only; base frozen",
                "weight_decay_on": "all adapter tensors (dim 2)",
                "clip": "clip_grad_norm_ over the adapter tensors, before the step",
                "loss_recorded": "before each step's update",
                "final": "adamw.final.<module>.lora_A.weight etc.: the adapter after 10 steps (float64 run, stored F32)",
            }
        ),
        "merged": "merged.<module>.weight = W + (B @ A)^T * lora_alpha / r, Conv1D [in, out], float64 computed",
    }
    save_file(io, os.path.join(OUT, "lora-io.safetensors"), meta)

    base_gap = ((logits64 - base_logits).abs().max() / base_logits.abs().max()).item()
    print(f"adapted layers: {list(adapted64)}")
    print(f"adapter params: {sum(v.numel() for v in adapter.values()):,}")
    print(f"loss (f64): {loss64.item():.10f}; adapter vs base logits max|a-b|/max|b|: {base_gap:.3e}")
    print(f"merged vs unmerged logits (f64): {merge_gap:.3e}")
    print(f"adamw losses (f64): {[round(x, 6) for x in losses64]}")
    print(f"adamw losses (f32): {[round(x, 6) for x in losses32]}")
    print(f"adamw grad norms  : {[round(x, 4) for x in norms64]}")
    for name in sorted(os.listdir(OUT)):
        print(f"{name}: {os.path.getsize(os.path.join(OUT, name)):,} bytes")


if __name__ == "__main__":
    torch.set_num_threads(1)  # deterministic reductions
    main()
