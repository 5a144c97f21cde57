"""llm.c's files, laid out exactly as karpathy/llm.c's train_gpt2.py writes them (and train_gpt2.c/.cu read them).

model.bin   256 x int32 header: magic 20240326, version (3 = float32, 5 = bfloat16), maxT, V, L, NH, C, Vp;
            then the 16 parameter tensors of train_gpt2.py `write_tensors`, in that order, every per-layer tensor
            holding all L layers; matrices in nn.Linear layout [out, in]; wte padded with zero rows to Vp
            (`pad_vocab`, a multiple of 128).
tokenizer.bin  header: magic 20240328, version 2, n, EOT id; then per token one length byte and its bytes.
state_<step>_<rank>.bin  (train_gpt2.cu `save_state`) header: magic 20240527, version 1, processes, rank,
            master weights kept, loader shuffles, [10] step; then AdamW m, v and the float32 master weights, each
            `shard` floats (all parameters, or with ZeRO-1 1/P of every tensor slice), then the loader's shuffle state.

The reference model (gpt2_reference.py) stores HF's Conv1D layout [in, out]; llm.c stores nn.Linear's [out, in].
The conversion is nanoGPT's `from_pretrained` in reverse: transpose exactly these four weights.
"""

import struct

import numpy as np
import torch
import torch.nn.functional as F

MODEL_MAGIC = 20240326
TOKENIZER_MAGIC = 20240328
STATE_MAGIC = 20240527
VERSIONS = {"float32": 3, "bfloat16": 5}
TRANSPOSED = ["attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight"]

# train_gpt2.py write_tensors: (llm.c name, HF name; "{}" is the layer).
ORDER = [
    ("wte", "wte.weight"),
    ("wpe", "wpe.weight"),
    ("ln1w", "h.{}.ln_1.weight"),
    ("ln1b", "h.{}.ln_1.bias"),
    ("qkvw", "h.{}.attn.c_attn.weight"),
    ("qkvb", "h.{}.attn.c_attn.bias"),
    ("attprojw", "h.{}.attn.c_proj.weight"),
    ("attprojb", "h.{}.attn.c_proj.bias"),
    ("ln2w", "h.{}.ln_2.weight"),
    ("ln2b", "h.{}.ln_2.bias"),
    ("fcw", "h.{}.mlp.c_fc.weight"),
    ("fcb", "h.{}.mlp.c_fc.bias"),
    ("fcprojw", "h.{}.mlp.c_proj.weight"),
    ("fcprojb", "h.{}.mlp.c_proj.bias"),
    ("lnfw", "ln_f.weight"),
    ("lnfb", "ln_f.bias"),
]


def pad_vocab(tensor, multiple=128):
    """train_gpt2.py's pad_vocab, without its V == 50257 guard: zero rows up to a multiple of 128."""
    V, C = tensor.shape
    Vp = ((V + multiple - 1) // multiple) * multiple
    return tensor if Vp == V else F.pad(tensor, (0, 0, 0, Vp - V), value=0)


def linear_state(state):
    """HF Conv1D state dict (no prefix) -> nn.Linear layout, as train_gpt2.py's model has it."""
    return {k: (v.t() if any(k.endswith(w) for w in TRANSPOSED) else v) for k, v in state.items()}


def file_tensors(state, L):
    """The tensors of model.bin in file order: [(llm.c name, [tensor per slice])], nn.Linear layout, wte padded."""
    linear = linear_state(state)
    out = []
    for name, hf in ORDER:
        if "{}" in hf:
            out.append((name, [linear[hf.format(i)] for i in range(L)]))
        else:
            out.append((name, [pad_vocab(linear[hf]) if name == "wte" else linear[hf]]))
    return out


def tensor_bytes(tensor, dtype):
    t = tensor.detach().cpu().contiguous()
    if dtype == "float32":
        return t.to(torch.float32).numpy().astype("<f4").tobytes()
    # train_gpt2.py write_bf16: torch's rounding to bfloat16, reinterpreted as int16.
    return t.to(torch.float32).to(torch.bfloat16).view(torch.int16).numpy().astype("<i2").tobytes()


def write_model(state, config, path, dtype="float32"):
    """train_gpt2.py write_model for a reference model's state dict (HF names, Conv1D layout)."""
    L = config.n_layer
    tensors = file_tensors(state, L)
    Vp = tensors[0][1][0].shape[0]
    header = np.zeros(256, dtype="<i4")
    header[:8] = [MODEL_MAGIC, VERSIONS[dtype], config.n_positions, config.vocab_size, L, config.n_head, config.n_embd, Vp]
    with open(path, "wb") as f:
        f.write(header.tobytes())
        for _, slices in tensors:
            for t in slices:
                f.write(tensor_bytes(t, dtype))


def read_header(data, path="model.bin"):
    header = np.frombuffer(data[:1024], dtype="<i4")
    if header[0] != MODEL_MAGIC:
        raise ValueError(f"{path}: bad magic {header[0]}")
    if header[1] not in (3, 5):
        raise ValueError(f"{path}: unknown version {header[1]}")
    maxT, V, L, NH, C, Vp = (int(x) for x in header[2:8])
    return {"version": int(header[1]), "maxT": maxT, "V": V, "L": L, "NH": NH, "C": C, "Vp": Vp}


def slice_shapes(h):
    """(elements per slice, slices, nn.Linear [rows, cols] or None) of each tensor: llm.c's fill_in_parameter_sizes."""
    C, L = h["C"], h["L"]
    return {
        "wte": (h["Vp"] * C, 1, None),
        "wpe": (h["maxT"] * C, 1, None),
        "ln1w": (C, L, None),
        "ln1b": (C, L, None),
        "qkvw": (3 * C * C, L, (3 * C, C)),
        "qkvb": (3 * C, L, None),
        "attprojw": (C * C, L, (C, C)),
        "attprojb": (C, L, None),
        "ln2w": (C, L, None),
        "ln2b": (C, L, None),
        "fcw": (4 * C * C, L, (4 * C, C)),
        "fcb": (4 * C, L, None),
        "fcprojw": (4 * C * C, L, (C, 4 * C)),
        "fcprojb": (C, L, None),
        "lnfw": (C, 1, None),
        "lnfb": (C, 1, None),
    }


def read_model(path):
    """model.bin -> (header, state dict with HF names in Conv1D layout, float32; padding rows dropped)."""
    with open(path, "rb") as f:
        data = f.read()
    h = read_header(data, path)
    shapes = slice_shapes(h)
    size = 4 if h["version"] == 3 else 2
    total = sum(n * s for n, s, _ in shapes.values())
    if len(data) != 1024 + total * size:
        raise ValueError(f"{path}: {len(data)} bytes, the header implies {1024 + total * size}")
    state, offset = {}, 1024
    for name, hf in ORDER:
        n, slices, linear = shapes[name]
        for i in range(slices):
            raw = data[offset : offset + n * size]
            offset += n * size
            if size == 4:
                t = torch.from_numpy(np.frombuffer(raw, dtype="<f4").astype(np.float32))
            else:
                t = torch.from_numpy(np.frombuffer(raw, dtype="<i2").copy()).view(torch.bfloat16).float()
            if linear is not None:
                t = t.view(*linear).t().contiguous()  # nn.Linear [out, in] -> Conv1D [in, out]
            elif name == "wte":
                t = t.view(h["Vp"], h["C"])[: h["V"]].contiguous()
            elif name == "wpe":
                t = t.view(h["maxT"], h["C"])
            state[hf.format(i) if "{}" in hf else hf] = t
    return h, state


def write_tokenizer(tokens, eot, path):
    """train_gpt2.py write_tokenizer: `tokens` is the list of each id's bytes."""
    header = np.zeros(256, dtype="<i4")
    header[:4] = [TOKENIZER_MAGIC, 2, len(tokens), eot]
    with open(path, "wb") as f:
        f.write(header.tobytes())
        for b in tokens:
            assert 0 < len(b) < 256, f"token length {len(b)}"
            f.write(struct.pack("<B", len(b)))
            f.write(b)


def read_tokenizer(path):
    with open(path, "rb") as f:
        data = f.read()
    header = np.frombuffer(data[:1024], dtype="<i4")
    assert header[0] == TOKENIZER_MAGIC and header[1] == 2, "not a version 2 llm.c tokenizer"
    tokens, at = [], 1024
    for _ in range(int(header[2])):
        n = data[at]
        tokens.append(data[at + 1 : at + 1 + n])
        at += 1 + n
    assert at == len(data), "bytes after the last token"
    return tokens, int(header[3])


def write_states(state, config, out_dir, step, processes=1, zero_stage=0, master=True):
    """train_gpt2.cu write_checkpoint's state files for the given float32 weights (as master weights).

    m and v are filled with 0.5 and 0.25 (never weights); no shuffle state. With ZeRO-1, rank r keeps elements
    [r*s, (r+1)*s) of every tensor slice of size S = P*s, at offset (tensor offset)/P + slice*s of its buffer.
    """
    flat = []  # (slice tensors in file order, float32, wte padded)
    for _, slices in file_tensors(state, config.n_layer):
        flat.append([t.detach().float().contiguous().view(-1) for t in slices])
    N = sum(t.numel() for slices in flat for t in slices)
    paths = []
    for rank in range(processes):
        if zero_stage == 0:
            buffer = torch.cat([t for slices in flat for t in slices])
        else:
            parts = []
            for slices in flat:
                for t in slices:
                    s = t.numel() // processes
                    parts.append(t[rank * s : (rank + 1) * s])
            buffer = torch.cat(parts)
        shard = buffer.numel()
        assert shard == (N if zero_stage == 0 else N // processes)
        header = np.zeros(256, dtype="<i4")
        header[:6] = [STATE_MAGIC, 1, processes, rank, 1 if master else 0, 0]
        header[10] = step
        path = f"{out_dir}/state_{step:08d}_{rank:05d}.bin"
        with open(path, "wb") as f:
            f.write(header.tobytes())
            f.write(np.full(shard, 0.5, dtype="<f4").tobytes())
            f.write(np.full(shard, 0.25, dtype="<f4").tobytes())
            if master:
                f.write(buffer.numpy().astype("<f4").tobytes())
        paths.append(path)
    return paths
