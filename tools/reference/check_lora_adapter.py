"""Applies a PEFT LoRA adapter folder written by @gpt2/model to the reference GPT-2, strictly.

Reads the base model folder (config.json + model.safetensors) and the adapter folder
(adapter_config.json + adapter_model.safetensors) as PEFT would: peft_type LORA, fan_in_fan_out for
Conv1D, target_modules matched by PEFT's rules, tensors named base_model.model.<module>.lora_A.weight
[r, in] / lora_B.weight [out, r], `__metadata__.format == "pt"`. Any missing, extra or misshapen tensor fails.

Usage: /usr/bin/python3 tools/reference/check_lora_adapter.py <model folder> <adapter folder> '<json {"ids": [[...]]}>'
Prints one JSON line: {"logits": [float64 logits with the adapter], "layers": [adapted modules], "tensors": n}.
"""

import json
import os
import sys

import torch

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_reference import GPT, GPTConfig  # noqa: E402
from lora_reference import apply_lora, load_peft_state_dict  # noqa: E402
from safetensors_io import load_file  # noqa: E402


def main():
    model_dir, adapter_dir, batch = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    with open(os.path.join(model_dir, "config.json")) as f:
        hf = json.load(f)
    config = GPTConfig(
        vocab_size=hf["vocab_size"], n_positions=hf["n_positions"], n_embd=hf["n_embd"],
        n_layer=hf["n_layer"], n_head=hf["n_head"], layer_norm_epsilon=hf["layer_norm_epsilon"],
    )
    tensors, _ = load_file(os.path.join(model_dir, "model.safetensors"))
    model = GPT(config).double()
    model.load_state_dict({k.removeprefix("transformer."): v.double() for k, v in tensors.items()}, strict=True)

    with open(os.path.join(adapter_dir, "adapter_config.json")) as f:
        peft = json.load(f)
    assert peft["peft_type"] == "LORA", peft["peft_type"]
    assert peft["fan_in_fan_out"] is True, "GPT-2's Conv1D needs fan_in_fan_out"
    assert peft.get("bias", "none") == "none" and not peft.get("use_dora", False)
    adapter, metadata = load_file(os.path.join(adapter_dir, "adapter_model.safetensors"))
    assert metadata.get("format") == "pt", f"__metadata__.format is {metadata.get('format')!r}"
    adapted = apply_lora(
        model, peft["target_modules"], peft["r"], peft["lora_alpha"], 0.0,
        peft.get("use_rslora", False), peft.get("layers_to_transform"),
    )
    load_peft_state_dict(adapted, {k: v.double() for k, v in adapter.items()})
    ids = torch.tensor(batch["ids"], dtype=torch.long)
    with torch.no_grad():
        logits, _ = model(ids)
    print(json.dumps({"logits": logits.flatten().tolist(), "layers": list(adapted), "tensors": len(adapter)}))


if __name__ == "__main__":
    main()
