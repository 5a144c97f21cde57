"""Train GPT-2 with PyTorch DDP on the shards and checkpoints of the gpt2 CLI; write checkpoints the CLI reads.

One process:            python3 tools/scale-out/train_ddp.py --config train.json --out runs/ddp
One node, 8 GPUs:       torchrun --standalone --nproc_per_node=8 tools/scale-out/train_ddp.py --config train.json --out runs/ddp
Many nodes:             torchrun --nnodes=4 --nproc_per_node=8 --node_rank=$RANK --rdzv_backend=c10d \
                            --rdzv_endpoint=$HOST:29500 --rdzv_id=gpt2 tools/scale-out/train_ddp.py ...
(see docs/scale-out.md). NCCL on GPUs, gloo on CPUs.

It reads the train config of `gpt2 train` (model / data / training / seed sections; paths relative to the file)
and keeps its meaning where PyTorch has the same thing:
  - the model section (preset + fields; vocabSize from the shards' tokenizer), or --init-from CHECKPOINT (our
    checkpoint or run folder, or a Hugging Face GPT-2 folder);
  - training.schedule (constant / cosine / linear / wsd, warmup), training.optimizer (AdamW betas, eps, weight
    decay on rank >= 2 parameters only), gradClip (global L2 norm), gradientAccumulationSteps, maxSteps or epochs,
    labelSmoothing, freeze, evalInterval / evalBatches / evalAtStart, checkpointInterval / keepLast;
  - the global batch: data.batchSize rows x gradientAccumulationSteps micro-batches per optimizer step, whatever
    the number of processes W: each process runs (batchSize x accumulation) / (micro-batch x W) micro-batches.
Data order is llm.c's: consecutive non-overlapping (blockSize + 1)-token windows through the train shards, in
manifest order, repeated when exhausted (not `gpt2 train`'s seeded random windows); each step takes the next
batchSize x accumulation rows, split among the processes.

Writes OUT/checkpoints/step-<8 digits>/ (config.json, model.safetensors, gpt2-tokenizer.json: Hugging Face layout,
read by gpt2 sample / eval / train --init-from and by transformers), OUT/tokenizer.json, OUT/metrics.jsonl (one JSON
per step and evaluation) and, at the end, OUT/eval.json: the validation perplexity under `gpt2 eval --shards`'s
protocol (strided windows of nPositions tokens, stride = nPositions, over the first --eval-tokens val tokens).
"""

import argparse
import inspect
import json
import math
import os
import shutil
import sys
import time
from contextlib import nullcontext

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel as DDP

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checkpoint import RUN_TOKENIZER_FILE, STEP_NAME, load_model_folder, save_model_folder, write_json_atomic  # noqa: E402
from data import Split, perplexity  # noqa: E402
from model import GPT, config_from_section  # noqa: E402
from schedule import learning_rate_at  # noqa: E402

# @gpt2/trainer's DEFAULT_TRAINING_CONFIG (packages/trainer/src/config.ts). A test keeps them equal.
DEFAULT_TRAINING = {
    "maxSteps": 0,
    "epochs": 0,
    "stepsPerEpoch": 0,
    "maxTimeMs": 0,
    "timeBudget": None,
    "gradientAccumulationSteps": 1,
    "schedule": {"type": "constant", "lr": 6e-4},
    "optimizer": {"beta1": 0.9, "beta2": 0.95, "eps": 1e-8, "weightDecay": 0.1},
    "gradClip": 1.0,
    "labelSmoothing": 0,
    "recompute": False,
    "evalInterval": 0,
    "evalBatches": 20,
    "evalAtStart": True,
    "checkpointInterval": 0,
    "keepLast": 3,
    "keepBest": True,
    "maxNonFiniteSteps": 5,
    "freeze": {"embeddings": False, "layers": 0},
}
# Settings of our trainer this recipe does not have: said once at start when a config sets them.
NOT_HONOURED = {
    "maxTimeMs": "no wall-time limit here: set maxSteps",
    "timeBudget": "no time budget here: set maxSteps and a schedule (the plan of a budgeted run is in its checkpoint's trainer_state.json)",
    "keepBest": "only step checkpoints are written (gpt2 eval picks the latest)",
    "recompute": "activations are kept, not recomputed (the same numbers, more memory)",
}
DEFAULT_BATCH_SIZE = 8  # the CLI's DEFAULT_BATCH_SIZE
DEFAULT_SEED = 1337  # the CLI's DEFAULT_TRAIN_SEED
DEFAULT_EVAL_TOKENS = 32768


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", required=True, help="train config JSON of `gpt2 train` (paths relative to it)")
    p.add_argument("--out", required=True, help="output folder: checkpoints/, tokenizer.json, metrics.jsonl, eval.json")
    p.add_argument("--init-from", help="start from this checkpoint: our checkpoint or run folder, or an HF GPT-2 folder")
    p.add_argument("--max-steps", type=int, help="override training.maxSteps")
    p.add_argument("--micro-batch-size", type=int, help="rows per forward pass on each process (default: data.batchSize, or less to keep the global batch)")
    p.add_argument("--dtype", choices=["float32", "bfloat16", "float16"], default="float32", help="autocast precision on CUDA (weights and optimizer stay float32)")
    p.add_argument("--compile", action="store_true", help="torch.compile the model (torch >= 2)")
    p.add_argument("--eval-tokens", type=int, default=DEFAULT_EVAL_TOKENS, help="val tokens for the final perplexity; 0 skips it")
    p.add_argument("--device", help="cpu, cuda (default: cuda when available)")
    return p.parse_args(argv)


def merged_training(section):
    section = dict(section or {})
    unknown = set(section) - set(DEFAULT_TRAINING)
    if unknown:
        raise ValueError(f"unknown training keys {sorted(unknown)}; valid: {', '.join(DEFAULT_TRAINING)}")
    for key, why in NOT_HONOURED.items():
        if key in section and section[key] != DEFAULT_TRAINING[key] and int(os.environ.get("RANK", 0)) == 0:
            print(f"train_ddp: training.{key} is not honoured: {why}", file=sys.stderr)
    training = {**DEFAULT_TRAINING, **section}
    training["optimizer"] = {**DEFAULT_TRAINING["optimizer"], **section.get("optimizer", {})}
    training["freeze"] = {**DEFAULT_TRAINING["freeze"], **section.get("freeze", {})}
    return training


def trainable(model, freeze):
    """Parameters to optimize: all but the frozen ones (@gpt2/trainer's trainableParameters)."""
    layers = freeze.get("layers", 0)
    for name, p in model.named_parameters():
        frozen = (freeze.get("embeddings") and name in ("wte.weight", "wpe.weight")) or (
            name.startswith("h.") and int(name.split(".")[1]) < layers
        )
        p.requires_grad_(not frozen)


class Run:
    """Rank, world, device and the precision context of this process."""

    def __init__(self, device_arg, dtype):
        self.distributed = "RANK" in os.environ
        cuda = torch.cuda.is_available() and device_arg != "cpu"
        if self.distributed:
            dist.init_process_group(backend="nccl" if cuda else "gloo")
            self.rank, self.world = dist.get_rank(), dist.get_world_size()
            local = int(os.environ.get("LOCAL_RANK", 0))
            self.device = torch.device(f"cuda:{local}" if cuda else "cpu")
            if cuda:
                torch.cuda.set_device(self.device)
        else:
            self.rank, self.world = 0, 1
            self.device = torch.device(device_arg or ("cuda" if cuda else "cpu"))
        self.main = self.rank == 0
        if self.device.type == "cuda" and dtype != "float32":
            self.autocast = lambda: torch.autocast("cuda", dtype=getattr(torch, dtype))
        else:
            self.autocast = nullcontext
        # float16 needs loss scaling; bfloat16 and float32 do not.
        self.scaler = torch.cuda.amp.GradScaler(enabled=self.device.type == "cuda" and dtype == "float16")

    def mean(self, value):
        """The mean of a float over all processes."""
        if not self.distributed:
            return value
        t = torch.tensor([value], dtype=torch.float64, device=self.device)
        dist.all_reduce(t)
        return t.item() / self.world

    def barrier(self):
        if self.distributed:
            dist.barrier()


def main(argv=None):
    args = parse_args(argv)
    run = Run(args.device, args.dtype)
    with open(args.config) as f:
        file = json.load(f)
    base = os.path.dirname(os.path.abspath(args.config))
    data = file.get("data", {})
    if "shards" not in data:
        raise SystemExit("train_ddp.py: no training data: set data.shards in the config")
    unknown = set(data) - {"shards", "batchSize", "blockSize", "mode"}
    if unknown:
        raise ValueError(f"unknown data keys {sorted(unknown)}; valid: shards, batchSize, blockSize, mode")
    if "mode" in data and run.main:
        print(f"train_ddp: data.mode '{data['mode']}' is not honoured: windows are read in order, as llm.c does", file=sys.stderr)
    shards = os.path.join(base, data["shards"])
    train, val = Split(shards, "train"), Split(shards, "val")
    manifest = train.manifest
    training = merged_training(file.get("training"))
    if args.max_steps is not None:
        training["maxSteps"] = args.max_steps
    seed = file.get("seed", DEFAULT_SEED)
    torch.manual_seed(seed)  # the same initial weights on every process

    if args.init_from:
        config, state, folder = load_model_folder(args.init_from)
        for key in ("embdPdrop", "attnPdrop", "residPdrop"):  # dropout may change for fine-tuning; the shape may not
            if key in file.get("model", {}):
                setattr(config, {"embdPdrop": "embd_pdrop", "attnPdrop": "attn_pdrop", "residPdrop": "resid_pdrop"}[key], file["model"][key])
        model = GPT(config)
        model.load_state_dict(state, strict=True)
        origin = f"from {folder}"
    else:
        config = config_from_section(file.get("model"), manifest["vocabSize"])
        model = GPT(config)
        model.gpt2_init()
        origin = "from scratch (GPT-2 init)"
    if manifest["vocabSize"] > config.vocab_size:
        raise SystemExit(f"train_ddp.py: the shards use {manifest['vocabSize']} tokens, the model only {config.vocab_size}")
    torch.manual_seed(seed + 1 + run.rank)  # dropout: a different mask on each process
    trainable(model, training["freeze"])
    model.to(run.device)
    raw = model
    if args.compile:
        model = torch.compile(model)
    if run.distributed:
        model = DDP(model, device_ids=[run.device.index] if run.device.type == "cuda" else None)

    T = data.get("blockSize", config.n_positions)
    rows_per_step = data.get("batchSize", DEFAULT_BATCH_SIZE) * training["gradientAccumulationSteps"]
    if rows_per_step % run.world:
        raise SystemExit(f"train_ddp.py: {rows_per_step} rows per step (batchSize x gradientAccumulationSteps) do not split over {run.world} processes")
    per_process = rows_per_step // run.world
    micro = args.micro_batch_size or math.gcd(data.get("batchSize", DEFAULT_BATCH_SIZE), per_process)
    if per_process % micro:
        raise SystemExit(f"train_ddp.py: --micro-batch-size {micro} does not divide the {per_process} rows of each process")
    accumulation = per_process // micro
    rows = train.rows(T)
    max_steps = training["maxSteps"] or (training["epochs"] * (training["stepsPerEpoch"] or len(rows) // rows_per_step))
    if max_steps <= 0:
        raise SystemExit("train_ddp.py: set training.maxSteps (or training.epochs)")

    o = training["optimizer"]
    fused = run.device.type == "cuda" and "fused" in inspect.signature(torch.optim.AdamW).parameters
    optimizer = raw.optimizer(0.0, (o["beta1"], o["beta2"]), o["eps"], o["weightDecay"], fused=fused)
    out = os.path.abspath(args.out)
    checkpoints = os.path.join(out, "checkpoints")
    if run.main:
        os.makedirs(checkpoints, exist_ok=True)
        write_json_atomic(os.path.join(out, RUN_TOKENIZER_FILE), manifest["tokenizer"])
        open(os.path.join(out, "metrics.jsonl"), "w").close()
        print(
            f"train_ddp: {run.world} process(es) on {run.device.type}, {origin}; {sum(p.numel() for p in raw.parameters()):,} parameters; "
            f"{rows_per_step} rows x {T} tokens per step = {run.world} x {accumulation} x {micro}; {max_steps} steps",
            file=sys.stderr,
        )

    def log(event):
        if run.main:
            line = json.dumps(event)
            print(line, flush=True)
            with open(os.path.join(out, "metrics.jsonl"), "a") as f:
                f.write(line + "\n")

    def evaluate(step):
        """Mean loss over the first evalBatches x batchSize val rows (the same rows every time)."""
        val_rows = val.rows(T)[: training["evalBatches"] * data.get("batchSize", DEFAULT_BATCH_SIZE)]
        raw.eval()
        total = 0.0
        with torch.no_grad(), run.autocast():
            for start in range(0, len(val_rows), micro):
                x, y = val.batch(val_rows[start : start + micro], T)
                _, loss = raw(x.to(run.device), y.to(run.device))
                total += loss.item() * len(x)
        raw.train()
        log({"type": "eval", "step": step, "valLoss": total / len(val_rows)})

    def save(step):
        if run.main:
            save_model_folder(raw, config, os.path.join(checkpoints, f"step-{step:08d}"), manifest["tokenizer"])
            steps = sorted(n for n in os.listdir(checkpoints) if STEP_NAME.match(n))
            for name in steps[: max(0, len(steps) - max(1, training["keepLast"]))]:
                shutil.rmtree(os.path.join(checkpoints, name))
            log({"type": "checkpoint", "step": step, "path": os.path.join(checkpoints, f"step-{step:08d}")})
        run.barrier()

    log({"type": "start", "processes": run.world, "device": run.device.type, "microBatchSize": micro,
         "accumulation": accumulation, "rowsPerStep": rows_per_step, "blockSize": T, "maxSteps": max_steps})
    model.train()
    if training["evalAtStart"] and run.main:
        evaluate(0)
    run.barrier()
    non_finite = 0
    for step in range(max_steps):
        started = time.perf_counter()
        lr = learning_rate_at(training["schedule"], step)
        for group in optimizer.param_groups:
            group["lr"] = lr
        loss_sum = 0.0
        for m in range(accumulation):
            first = (step * rows_per_step + run.rank * per_process + m * micro) % len(rows)
            x, y = train.batch([rows[(first + i) % len(rows)] for i in range(micro)], T)
            x, y = x.to(run.device), y.to(run.device)
            # Only the last micro-batch all-reduces the gradients.
            sync = model.no_sync if run.distributed and m < accumulation - 1 else nullcontext
            with sync(), run.autocast():
                logits, _ = model(x)
                loss = F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), y.reshape(-1), label_smoothing=training["labelSmoothing"])
            run.scaler.scale(loss / accumulation).backward()
            loss_sum += loss.item()
        run.scaler.unscale_(optimizer)
        params = [p for p in raw.parameters() if p.requires_grad]
        clip = training["gradClip"]
        norm = torch.nn.utils.clip_grad_norm_(params, clip if clip > 0 else float("inf")).item()
        mean_loss = run.mean(loss_sum / accumulation)
        if math.isfinite(mean_loss) and math.isfinite(norm):
            run.scaler.step(optimizer)
            non_finite = 0
        else:
            non_finite += 1
            if non_finite >= training["maxNonFiniteSteps"]:
                raise SystemExit(f"train_ddp.py: {non_finite} non-finite steps in a row (loss {mean_loss}, grad norm {norm})")
        run.scaler.update()
        optimizer.zero_grad(set_to_none=True)
        tokens = rows_per_step * T
        log({"type": "step", "step": step + 1, "loss": mean_loss, "lr": lr, "gradNorm": norm, "tokens": tokens,
             "tokensPerSecond": tokens / (time.perf_counter() - started)})
        done = step + 1
        if training["evalInterval"] and done % training["evalInterval"] == 0 and done < max_steps and run.main:
            evaluate(done)
        if training["checkpointInterval"] and done % training["checkpointInterval"] == 0 and done < max_steps:
            save(done)
    if training["evalInterval"] or training["evalAtStart"]:
        if run.main:
            evaluate(max_steps)
    save(max_steps)
    if args.eval_tokens > 0 and run.main:
        report = perplexity(raw, val.tokens(args.eval_tokens), config.n_positions, config.n_positions, run.device)
        report = {"checkpoint": os.path.join(checkpoints, f"step-{max_steps:08d}"), "split": "val", **report,
                  "perplexity": math.exp(report["meanNll"])}
        write_json_atomic(os.path.join(out, "eval.json"), report)
        log({"type": "perplexity", **report})
    if run.distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    try:
        main()
    except (ValueError, FileNotFoundError, KeyError) as error:
        # Bad input (a config key, a missing folder, a foreign file): one line, no traceback.
        print(f"train_ddp.py: {error}", file=sys.stderr)
        sys.exit(1)
