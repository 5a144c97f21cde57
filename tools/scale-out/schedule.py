"""The learning-rate schedules of @gpt2/trainer (packages/trainer/src/schedule/learning-rate.ts), step for step.

A schedule is the JSON of the train config's `training.schedule`: constant, cosine, linear or wsd, each with an
optional linear warmup `lr * (step + 1) / (warmupSteps + 1)`.
"""

import math


def _warmup(peak, step, warmup_steps):
    return peak * (step + 1) / (warmup_steps + 1)


def learning_rate_at(schedule, step):
    """The learning rate at optimizer step `step` (0-based)."""
    kind = schedule["type"]
    warmup = schedule.get("warmupSteps", 0)
    if kind == "constant":
        return _warmup(schedule["lr"], step, warmup) if step < warmup else schedule["lr"]
    if kind in ("cosine", "linear"):
        max_lr, decay = schedule["maxLr"], schedule["decaySteps"]
        min_lr = schedule.get("minLr", max_lr / 10 if kind == "cosine" else 0.0)
        if step < warmup:
            return _warmup(max_lr, step, warmup)
        if step > decay:
            return min_lr
        ratio = (step - warmup) / (decay - warmup)
        if kind == "cosine":
            return min_lr + 0.5 * (1 + math.cos(math.pi * ratio)) * (max_lr - min_lr)
        return max_lr + ratio * (min_lr - max_lr)
    if kind == "wsd":
        max_lr, min_lr = schedule["maxLr"], schedule.get("minLr", 0.0)
        if step < warmup:
            return _warmup(max_lr, step, warmup)
        decay_start = warmup + schedule["stableSteps"]
        if step < decay_start:
            return max_lr
        decay = schedule["decaySteps"]
        if decay == 0 or step >= decay_start + decay:
            return min_lr
        ratio = (step - decay_start) / decay
        shape = schedule.get("decayShape", "linear")
        remaining = (
            0.5 * (1 + math.cos(math.pi * ratio)) if shape == "cosine" else 1 - math.sqrt(ratio) if shape == "sqrt" else 1 - ratio
        )
        return min_lr + remaining * (max_lr - min_lr)
    raise ValueError(f"unknown learning-rate schedule type {kind!r} (constant, cosine, linear, wsd)")
