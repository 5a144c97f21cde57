"""Loads a model folder written by @gpt2/model (config.json + model.safetensors) into the reference GPT-2.

Checks what Hugging Face's `GPT2LMHeadModel.from_pretrained` relies on: `__metadata__.format == "pt"`, HF
names (with or without `transformer.`), Conv1D shapes, and that with the tied head no `lm_head.weight` is
needed. Loading is strict: any missing, extra or misshapen tensor fails. Then it evaluates the loss.

Usage: /usr/bin/python3 tools/reference/check_checkpoint.py <folder> '<json {"ids": [[...]], "targets": [[...]]}>'
Prints one JSON line: {"loss": ..., "logits": [flattened float64 logits], "tensors": n}.
"""

import json
import os
import sys

import torch

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_reference import GPT, GPTConfig  # noqa: E402
from safetensors_io import load_file  # noqa: E402


def main():
    folder, batch = sys.argv[1], json.loads(sys.argv[2])
    with open(os.path.join(folder, "config.json")) as f:
        config = GPTConfig.from_hf(json.load(f))
    tensors, metadata = load_file(os.path.join(folder, "model.safetensors"))
    assert metadata.get("format") == "pt", f"__metadata__.format is {metadata.get('format')!r}, HF needs 'pt'"
    state = {k.removeprefix("transformer."): v for k, v in tensors.items()}
    model = GPT(config).double()
    model.load_state_dict({k: v.double() for k, v in state.items()}, strict=True)
    ids = torch.tensor(batch["ids"], dtype=torch.long)
    targets = torch.tensor(batch["targets"], dtype=torch.long)
    with torch.no_grad():
        logits, loss = model(ids, targets)
    print(json.dumps({"loss": loss.item(), "logits": logits.flatten().tolist(), "tensors": len(tensors)}))


if __name__ == "__main__":
    main()
