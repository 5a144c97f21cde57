"""Writes llm.c files from the reference GPT-2, for @gpt2/model's and the CLI's import tests.

Usage: /usr/bin/python3 tools/reference/write_llmc.py <out dir> '<json options>'
Options (all optional): vocab_size (300), n_positions (16), n_embd (24), n_layer (2), n_head (3), seed (7),
step (20), processes (2), zero_stage (1).

Writes, in <out dir>:
  model.bin          version 3 (float32), as train_gpt2.py write_model lays it out
  model_bf16.bin     version 5 (bfloat16) of the same weights
  tokenizer.bin      version 2: the 256 bytes, then " t", "he", " the", then "<|endoftext|>" as EOT, padded with
                     "<|pad{i}|>" tokens up to vocab_size
  run/               what train_gpt2cu -o run writes at a checkpoint: model_<step>.bin (bfloat16),
                     state_<step>_<rank>.bin for every rank (float32 master weights; ZeRO-1 shards when zero_stage=1)
                     and DONE_<step>
  reference.safetensors  the float32 weights, HF names, Conv1D layout (what an import must reproduce exactly)
  reference.json     {"ids", "targets", "loss", "logits"} of the float64 reference on a fixed batch
"""

import json
import os
import sys

import torch

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_reference import GPT, GPTConfig  # noqa: E402
from llmc_io import write_model, write_states, write_tokenizer  # noqa: E402
from safetensors_io import save_file  # noqa: E402

DEFAULTS = {"vocab_size": 300, "n_positions": 16, "n_embd": 24, "n_layer": 2, "n_head": 3, "seed": 7, "step": 20,
            "processes": 2, "zero_stage": 1}


def main():
    out = sys.argv[1]
    options = {**DEFAULTS, **(json.loads(sys.argv[2]) if len(sys.argv) > 2 else {})}
    os.makedirs(os.path.join(out, "run"), exist_ok=True)
    torch.manual_seed(options["seed"])
    config = GPTConfig(
        vocab_size=options["vocab_size"],
        n_positions=options["n_positions"],
        n_embd=options["n_embd"],
        n_layer=options["n_layer"],
        n_head=options["n_head"],
    )
    model = GPT(config)
    with torch.no_grad():  # non-trivial biases and gains, as in make_fixtures.py
        for name, p in model.named_parameters():
            if name.endswith(".bias") or name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name == "ln_f.weight":
                p.add_(0.1 * torch.randn_like(p))
            elif name == "wte.weight":
                p.normal_(0.0, 0.1)
    state = {k: v.detach().float() for k, v in model.state_dict().items()}

    write_model(state, config, os.path.join(out, "model.bin"), "float32")
    write_model(state, config, os.path.join(out, "model_bf16.bin"), "bfloat16")
    step = options["step"]
    write_model(state, config, os.path.join(out, "run", f"model_{step:08d}.bin"), "bfloat16")
    write_states(state, config, os.path.join(out, "run"), step, options["processes"], options["zero_stage"])
    open(os.path.join(out, "run", f"DONE_{step:08d}"), "w").close()

    tokens = [bytes([b]) for b in range(256)] + [b" t", b"he", b" the"]
    eot = len(tokens)
    tokens.append(b"<|endoftext|>")
    tokens += [f"<|pad{i}|>".encode() for i in range(config.vocab_size - len(tokens))]
    write_tokenizer(tokens, eot, os.path.join(out, "tokenizer.bin"))

    save_file(state, os.path.join(out, "reference.safetensors"), {"format": "pt"})
    g = torch.Generator().manual_seed(options["seed"] + 1)
    ids = torch.randint(0, config.vocab_size, (2, config.n_positions), generator=g)
    targets = torch.randint(0, config.vocab_size, (2, config.n_positions), generator=g)
    double = GPT(config).double()
    double.load_state_dict({k: v.double() for k, v in state.items()})
    with torch.no_grad():
        logits, loss = double(ids, targets)
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump({"ids": ids.tolist(), "targets": targets.tolist(), "loss": loss.item(),
                   "logits": logits.flatten().tolist()}, f)


if __name__ == "__main__":
    main()
