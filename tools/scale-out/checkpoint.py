"""Model folders, as the gpt2 CLI and Hugging Face read and write them.

A model folder holds `config.json` (HF's GPT2Config form), `model.safetensors` (HF names without the `transformer.`
prefix, Conv1D layout, `__metadata__.format = "pt"`, no tied `lm_head.weight`) and, for the gpt2 CLI,
`gpt2-tokenizer.json` (our tokenizer JSON). A run folder of `gpt2 train` holds `checkpoints/step-<8 digits>/` and
`checkpoints/best/` model folders (plus optimizer state this recipe does not read) and `tokenizer.json`.

Uses the `safetensors` package when installed, else the small codec below (the format is 8 bytes of header length,
a JSON header, then raw little-endian tensors).
"""

import json
import os
import re
import shutil
import struct
import uuid

import torch

from model import GPTConfig

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
TOKENIZER_FILE = "gpt2-tokenizer.json"  # in a model folder; `tokenizer.json` is HF's own format there
RUN_TOKENIZER_FILE = "tokenizer.json"  # in a run folder
STEP_NAME = re.compile(r"^step-(\d+)$")

_DTYPES = {"F64": torch.float64, "F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}


def load_safetensors(path):
    try:
        from safetensors.torch import load_file
        return load_file(path)
    except ImportError:
        pass
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + n])
    header.pop("__metadata__", None)
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        dtype = _DTYPES.get(entry["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: tensor {name} has dtype {entry['dtype']}, not a float")
        raw = bytearray(data[8 + n + begin : 8 + n + end])
        tensors[name] = torch.frombuffer(raw, dtype=dtype).reshape(entry["shape"]) if raw else torch.empty(entry["shape"], dtype=dtype)
    return tensors


def save_safetensors(tensors, path):
    tensors = {k: v.detach().to("cpu", torch.float32).contiguous() for k, v in tensors.items()}
    try:
        from safetensors.torch import save_file
        return save_file(tensors, path, metadata={"format": "pt"})
    except ImportError:
        pass
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, t in tensors.items():
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + 4 * t.numel()]}
        offset += 4 * t.numel()
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for t in tensors.values():
            f.write(t.numpy().astype("<f4").tobytes())


def config_from_hf(hf):
    """Our GPTConfig from config.json; only what this GPT-2 computes is accepted."""
    if hf.get("model_type", "gpt2") != "gpt2":
        raise ValueError(f"model_type {hf.get('model_type')!r}: only GPT-2 trains here")
    if not hf.get("tie_word_embeddings", True) or not hf.get("bias", True):
        raise ValueError("this recipe trains GPT-2 with tied embeddings and biases (tie_word_embeddings, bias)")
    if hf.get("position_embedding", "learned") != "learned":
        raise ValueError("this recipe trains learned position embeddings (position_embedding 'learned')")
    return GPTConfig(
        vocab_size=hf["vocab_size"],
        n_positions=hf.get("n_positions", hf.get("n_ctx")),
        n_embd=hf["n_embd"],
        n_layer=hf["n_layer"],
        n_head=hf["n_head"],
        layer_norm_epsilon=hf.get("layer_norm_epsilon", 1e-5),
        embd_pdrop=hf.get("embd_pdrop", 0.1),
        attn_pdrop=hf.get("attn_pdrop", 0.1),
        resid_pdrop=hf.get("resid_pdrop", 0.1),
    )


def config_to_hf(config):
    """config.json as @gpt2/model's configToHF writes it."""
    return {
        "model_type": "gpt2",
        "architectures": ["GPT2LMHeadModel"],
        "activation_function": "gelu_new",
        "vocab_size": config.vocab_size,
        "n_positions": config.n_positions,
        "n_ctx": config.n_positions,
        "n_embd": config.n_embd,
        "n_layer": config.n_layer,
        "n_head": config.n_head,
        "n_inner": None,
        "layer_norm_epsilon": config.layer_norm_epsilon,
        "embd_pdrop": config.embd_pdrop,
        "attn_pdrop": config.attn_pdrop,
        "resid_pdrop": config.resid_pdrop,
        "initializer_range": 0.02,
        "scale_attn_weights": True,
        "scale_attn_by_inverse_layer_idx": False,
        "reorder_and_upcast_attn": False,
        "tie_word_embeddings": True,
        "bias": True,
        "position_embedding": "learned",
        "use_cache": True,
    }


def resolve_model_folder(path):
    """A CHECKPOINT as the gpt2 CLI takes it: a model folder, or a run folder (its best checkpoint, else the latest)."""
    if os.path.isfile(os.path.join(path, WEIGHTS_FILE)):
        return path
    store = os.path.join(path, "checkpoints") if os.path.isdir(os.path.join(path, "checkpoints")) else path
    names = [n for n in os.listdir(store) if not n.startswith(".")] if os.path.isdir(store) else []
    if "best" in names:
        return os.path.join(store, "best")
    steps = sorted((int(m.group(1)), n) for n in names if (m := STEP_NAME.match(n)))
    if not steps:
        raise FileNotFoundError(f"{path}: no {WEIGHTS_FILE}, and no run folder with checkpoints")
    return os.path.join(store, steps[-1][1])


def load_model_folder(path):
    """(GPTConfig, state dict, the folder read) from a model or run folder."""
    folder = resolve_model_folder(path)
    with open(os.path.join(folder, CONFIG_FILE)) as f:
        config = config_from_hf(json.load(f))
    state = {}
    for name, tensor in load_safetensors(os.path.join(folder, WEIGHTS_FILE)).items():
        name = name.removeprefix("transformer.")
        if re.match(r"^h\.\d+\.attn\.(bias|masked_bias)$", name):
            continue  # HF's mask buffers
        state[name] = tensor.float()
    head = state.pop("lm_head.weight", None)
    if head is not None and not torch.equal(head, state["wte.weight"]):
        raise ValueError(f"{folder}: lm_head.weight differs from wte.weight, but GPT-2 ties them")
    return config, state, folder


def save_model_folder(model, config, folder, tokenizer=None):
    """Writes a model folder atomically: a temporary sibling folder, renamed into place when complete."""
    parent = os.path.dirname(os.path.abspath(folder))
    os.makedirs(parent, exist_ok=True)
    temp = os.path.join(parent, f".tmp-{os.path.basename(folder)}-{uuid.uuid4().hex[:12]}")
    os.makedirs(temp)
    try:
        save_safetensors(model.state_dict(), os.path.join(temp, WEIGHTS_FILE))
        with open(os.path.join(temp, CONFIG_FILE), "w") as f:
            json.dump(config_to_hf(config), f, indent=2)
        if tokenizer is not None:
            with open(os.path.join(temp, TOKENIZER_FILE), "w") as f:
                json.dump(tokenizer, f)
        for name in os.listdir(temp):
            with open(os.path.join(temp, name), "rb") as f:
                os.fsync(f.fileno())
        if os.path.exists(folder):
            old = os.path.join(parent, f".old-{os.path.basename(folder)}-{uuid.uuid4().hex[:12]}")
            os.rename(folder, old)
            os.rename(temp, folder)
            shutil.rmtree(old)
        else:
            os.rename(temp, folder)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def write_json_atomic(path, value):
    temp = f"{path}.tmp-{os.getpid()}"
    with open(temp, "w") as f:
        json.dump(value, f, indent=2)
        f.write("\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(temp, path)
