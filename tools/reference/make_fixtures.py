"""Writes the PyTorch parity fixtures for @gpt2/model (and the trainer/eval packages).

Run from the repository root with Debian's Python (it has torch 1.13 and numpy):
    /usr/bin/python3 tools/reference/make_fixtures.py

Outputs, in packages/model/src/__fixtures__/:
    config.json                  the fixture model's config, Hugging Face form
    reference-model.safetensors  its float32 weights, HF names without prefix, Conv1D [in, out] layout
    reference-io.safetensors     inputs and reference outputs (logits, loss, gradients, AdamW losses, perplexity)
See tools/reference/README.md for the exact protocols.
"""

import json
import math
import os
import sys

import torch

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gpt2_reference import GPT, GPTConfig  # noqa: E402
from safetensors_io import load_file, save_file  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "packages", "model", "src", "__fixtures__")

SEED = 1234
CONFIG = GPTConfig(vocab_size=4096, n_positions=32, n_embd=48, n_layer=2, n_head=4)
BATCH, SEQ = 2, 16
ADAMW = {"lr": 1e-3, "beta1": 0.9, "beta2": 0.95, "eps": 1e-8, "weight_decay": 0.1, "grad_clip": 1.0, "steps": 10}
PPL = {"n_tokens": 100, "max_length": CONFIG.n_positions, "stride": 16}


def make_weights():
    """GPT-2 init, then perturbations so no parameter is trivially 0 or 1 and the logits are far from uniform."""
    torch.manual_seed(SEED)
    model = GPT(CONFIG)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name == "ln_f.weight":
                p.add_(0.1 * torch.randn_like(p))  # LayerNorm gains around 1
            elif name.endswith(".bias"):
                p.copy_(0.1 * torch.randn_like(p))  # non-zero biases, LayerNorm shifts included
            elif name == "wte.weight":
                p.normal_(0.0, 0.1)  # larger tied embedding: logits with std ~1 instead of ~0.1
    return model


def float64_copy(model):
    """The same network in float64, starting from the float32 weights (exactly representable)."""
    clone = GPT(CONFIG).double()
    clone.load_state_dict({k: v.double() for k, v in model.state_dict().items()})
    return clone


def adamw_losses(model, ids, targets, dtype):
    """10 AdamW steps on the same batch; returns (losses before each step, grad norms before clipping)."""
    net = float64_copy(model) if dtype == torch.float64 else GPT(CONFIG)
    if dtype == torch.float32:
        net.load_state_dict(model.state_dict())
    opt = net.configure_optimizer(
        lr=ADAMW["lr"], betas=(ADAMW["beta1"], ADAMW["beta2"]), weight_decay=ADAMW["weight_decay"], eps=ADAMW["eps"]
    )
    losses, norms = [], []
    for _ in range(ADAMW["steps"]):
        _, loss = net(ids, targets)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(net.parameters(), ADAMW["grad_clip"])
        opt.step()
        losses.append(loss.item())
        norms.append(norm.item())
    return losses, norms, net


def strided_perplexity(model, tokens):
    """Hugging Face's sliding-window perplexity ("Perplexity of fixed-length models"), counted exactly.

    Windows start at 0, stride, 2*stride, ...; each holds up to max_length tokens. Only the tokens after
    the previous window's end are scored (the rest are context); within a window a token at position t
    is predicted from the logits at t-1, so the very first token of the sequence is never scored.
    Returns per-token NLLs (for tokens 1..N-1) and per-window sums and counts.
    """
    n = tokens.numel()
    max_length, stride = PPL["max_length"], PPL["stride"]
    token_nll = torch.full((n,), float("nan"), dtype=torch.float64)
    window_sums, window_counts, window_begins = [], [], []
    prev_end = 0
    for begin in range(0, n, stride):
        end = min(begin + max_length, n)
        trg_len = end - prev_end  # tokens new to this window; may be less than stride at the end
        window = tokens[begin:end].unsqueeze(0)  # [1, L]
        logits, _ = model(window)
        logp = torch.log_softmax(logits[0], dim=-1)  # [L, V]
        first_scored = max(end - begin - trg_len, 1)  # position inside the window; 0 has no predecessor
        total, count = 0.0, 0
        for t in range(first_scored, end - begin):
            nll = -logp[t - 1, window[0, t]].item()
            token_nll[begin + t] = nll
            total += nll
            count += 1
        window_sums.append(total)
        window_counts.append(count)
        window_begins.append(begin)
        prev_end = end
        if end == n:
            break
    return token_nll, window_sums, window_counts, window_begins


def main():
    os.makedirs(OUT, exist_ok=True)
    model = make_weights()
    weights = {name: p.detach().clone() for name, p in model.named_parameters()}
    model_meta = {"format": "pt", "producer": "tools/reference/make_fixtures.py", "seed": str(SEED)}
    save_file(weights, os.path.join(OUT, "reference-model.safetensors"), model_meta)
    with open(os.path.join(OUT, "config.json"), "w") as f:
        json.dump(CONFIG.to_hf(), f, indent=2)
        f.write("\n")

    # Inputs: a random token stream; targets are the next tokens (the LM objective).
    gen = torch.Generator().manual_seed(SEED + 1)
    stream = torch.randint(0, CONFIG.vocab_size, (BATCH, SEQ + 1), generator=gen)
    ids, targets = stream[:, :-1].contiguous(), stream[:, 1:].contiguous()  # [B, T] each
    targets_masked = targets.clone()
    targets_masked[0, :3] = -1  # ignore_index -1: these positions do not count
    targets_masked[1, 10] = -1

    # Forward, loss and gradients in float64 from the float32 weights.
    net64 = float64_copy(model)
    logits64, loss64 = net64(ids, targets)
    loss64.backward()
    grads = {f"grad.{name}": p.grad.detach().clone() for name, p in net64.named_parameters()}
    with torch.no_grad():
        _, masked_loss64 = net64(ids, targets_masked)
        _, loss32 = model(ids, targets)  # the float32 forward, to show float32 noise
    logits32, _ = model(ids)

    losses64, norms64, _ = adamw_losses(model, ids, targets, torch.float64)
    losses32, _, _ = adamw_losses(model, ids, targets, torch.float32)

    ppl_tokens = torch.randint(0, CONFIG.vocab_size, (PPL["n_tokens"],), generator=gen)
    with torch.no_grad():
        token_nll, window_sums, window_counts, window_begins = strided_perplexity(net64, ppl_tokens)
    nll_sum = sum(window_sums)
    n_scored = sum(window_counts)
    mean_nll = nll_sum / n_scored

    io = {
        "ids": ids.to(torch.int32),
        "targets": targets.to(torch.int32),
        "targets_masked": targets_masked.to(torch.int32),
        "logits": logits64.detach().float(),
        "loss": loss64.detach().float().reshape(()),
        "loss.f64": loss64.detach().reshape(()),
        "loss_masked": masked_loss64.detach().float().reshape(()),
        "loss_masked.f64": masked_loss64.detach().reshape(()),
        "loss.torch_float32": loss32.detach().reshape(()),
        **{k: v.float() for k, v in grads.items()},
        "adamw.losses": torch.tensor(losses64, dtype=torch.float32),
        "adamw.losses.f64": torch.tensor(losses64, dtype=torch.float64),
        "adamw.losses.torch_float32": torch.tensor(losses32, dtype=torch.float32),
        "adamw.grad_norms.f64": torch.tensor(norms64, dtype=torch.float64),
        "ppl.tokens": ppl_tokens.to(torch.int32),
        "ppl.token_nll.f64": token_nll,
        "ppl.window_begins": torch.tensor(window_begins, dtype=torch.int32),
        "ppl.window_nll_sums.f64": torch.tensor(window_sums, dtype=torch.float64),
        "ppl.window_n_scored": torch.tensor(window_counts, dtype=torch.int32),
        "ppl.nll_sum": torch.tensor(nll_sum, dtype=torch.float64),
        "ppl.n_scored": torch.tensor(n_scored, dtype=torch.int32),
        "ppl.mean_nll": torch.tensor(mean_nll, dtype=torch.float64),
        "ppl.perplexity": torch.tensor(math.exp(mean_nll), dtype=torch.float64),
    }
    io_meta = {
        "format": "pt",
        "producer": "tools/reference/make_fixtures.py (see tools/reference/README.md)",
        "torch": torch.__version__,
        "seed": str(SEED),
        "config": json.dumps(CONFIG.to_hf()),
        "precision": "float64 forward/backward from the float32 weights; stored as F32, scalars also as F64 (*.f64)",
        "loss": "mean cross-entropy over all B*T positions; loss_masked ignores targets == -1",
        "grad": "grad.<name> = d loss / d <name> (the unmasked loss), float64 computed, stored F32",
        "adamw": json.dumps(
            {
                **ADAMW,
                "batch": "ids/targets every step",
                "loss_recorded": "before each step's update (losses[0] is the initial loss)",
                "param_groups": "weight_decay on params with dim >= 2 (wte, wpe, Conv1D weights); 0 on biases and LayerNorm",
                "clip": "torch.nn.utils.clip_grad_norm_ over all params, global L2 norm, before the step",
                "optimizer": "torch.optim.AdamW (decoupled decay: p -= lr*wd*p, then Adam with bias correction)",
                "precision": "adamw.losses: float64 run; adamw.losses.torch_float32: float32 run (float32 noise scale)",
            }
        ),
        "ppl": json.dumps(
            {
                **PPL,
                "protocol": "HF strided sliding window: begin in range(0, N, stride), end = min(begin+max_length, N), "
                "score only tokens in [prev_end, end) (trg_len = end - prev_end), token t predicted from logits at t-1; "
                "token 0 is never scored; stop when end == N",
                "aggregate": "nll_sum = sum of per-token NLL over scored tokens (natural log); mean_nll = nll_sum / n_scored; "
                "perplexity = exp(mean_nll). Exact count (HF's doc subtracts batch_size per window, an approximation).",
                "token_nll": "ppl.token_nll.f64[t] is the NLL of token t (NaN for t = 0)",
            }
        ),
    }
    save_file(io, os.path.join(OUT, "reference-io.safetensors"), io_meta)

    # Self-check: the files read back bit-identically.
    back, _ = load_file(os.path.join(OUT, "reference-model.safetensors"))
    assert all(torch.equal(back[k], v) for k, v in weights.items()), "weights round trip"
    back_io, _ = load_file(os.path.join(OUT, "reference-io.safetensors"))
    assert torch.equal(back_io["logits"], io["logits"]), "io round trip"

    rel = ((logits32.double() - logits64).abs().max() / logits64.abs().max()).item()
    print(f"params: {sum(p.numel() for p in model.parameters()):,}")
    print(f"loss (f64): {loss64.item():.10f}   loss (torch f32): {loss32.item():.10f}   masked: {masked_loss64.item():.10f}")
    print(f"torch float32 vs float64 logits, max|a-b|/max|b|: {rel:.3e}")
    print(f"logits std: {logits64.std().item():.4f}")
    print(f"adamw losses (f64): {[round(x, 6) for x in losses64]}")
    print(f"adamw losses (f32): {[round(x, 6) for x in losses32]}")
    print(f"adamw grad norms  : {[round(x, 4) for x in norms64]}")
    print(f"ppl: n_scored={n_scored} nll_sum={nll_sum:.10f} mean_nll={mean_nll:.10f} ppl={math.exp(mean_nll):.4f}")
    for name in ("config.json", "reference-model.safetensors", "reference-io.safetensors"):
        print(f"{name}: {os.path.getsize(os.path.join(OUT, name)):,} bytes")


if __name__ == "__main__":
    torch.set_num_threads(1)  # deterministic reductions
    main()
