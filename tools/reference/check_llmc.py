"""Loads llm.c's model.bin (as train_gpt2.py lays it out, see llmc_io.py) into the reference GPT-2 and evaluates it.

Usage: /usr/bin/python3 tools/reference/check_llmc.py <model.bin> '<json {"ids": [[...]], "targets": [[...]]}>' [REWRITE.bin [DTYPE]]
Prints one JSON line: {"header": {...}, "loss": ..., "logits": [flattened float64 logits]}.
With REWRITE.bin, also writes the loaded weights back with llmc_io.write_model, in DTYPE (float32 or bfloat16;
default the file's own precision), so a test can compare the bytes with the ones it wrote itself.
"""

import json
import os
import sys

import torch

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_reference import GPT, GPTConfig  # noqa: E402
from llmc_io import read_model, write_model  # noqa: E402


def main():
    path, batch = sys.argv[1], json.loads(sys.argv[2])
    header, state = read_model(path)
    # llm.c's GPT-2: LayerNorm eps 1e-5, tied head, tanh GELU; the reference has exactly these.
    config = GPTConfig(
        vocab_size=header["V"], n_positions=header["maxT"], n_embd=header["C"], n_layer=header["L"], n_head=header["NH"]
    )
    if len(sys.argv) > 3:
        own = "float32" if header["version"] == 3 else "bfloat16"
        write_model(state, config, sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else own)
    model = GPT(config).double()
    model.load_state_dict({k: v.double() for k, v in state.items()}, strict=True)
    ids = torch.tensor(batch["ids"], dtype=torch.long)
    targets = torch.tensor(batch["targets"], dtype=torch.long)
    with torch.no_grad():
        logits, loss = model(ids, targets)
    print(json.dumps({"header": header, "loss": loss.item(), "logits": logits.flatten().tolist()}))


if __name__ == "__main__":
    main()
