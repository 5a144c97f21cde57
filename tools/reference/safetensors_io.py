"""A minimal safetensors reader/writer (the `safetensors` package is not installed here).

Format (https://github.com/huggingface/safetensors#format):
  8 bytes   little-endian u64 N: the header length
  N bytes   UTF-8 JSON: {"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}}
            offsets are relative to the first byte after the header; padded with spaces to 8 bytes
  rest      raw little-endian tensor data, contiguous, row-major
"""

import json
import struct

import numpy as np
import torch

# safetensors dtype name -> numpy dtype (little-endian). BF16 has no numpy dtype: handled apart.
_NUMPY = {
    "F64": np.dtype("<f8"),
    "F32": np.dtype("<f4"),
    "F16": np.dtype("<f2"),
    "I64": np.dtype("<i8"),
    "I32": np.dtype("<i4"),
    "U8": np.dtype("u1"),
}
_TORCH = {
    torch.float64: "F64",
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
    torch.uint8: "U8",
}


def _to_bytes(value):
    """Returns (dtype name, shape, raw little-endian bytes) of a torch tensor or numpy array."""
    if isinstance(value, np.ndarray):
        value = torch.from_numpy(np.ascontiguousarray(value))
    tensor = value.detach().cpu().contiguous()
    dtype = _TORCH.get(tensor.dtype)
    if dtype is None:
        raise TypeError(f"unsupported dtype {tensor.dtype}")
    if dtype == "BF16":
        raw = tensor.view(torch.int16).numpy().astype("<i2").tobytes()
    else:
        raw = tensor.numpy().astype(_NUMPY[dtype]).tobytes()
    return dtype, list(tensor.shape), raw


def save_file(tensors, path, metadata=None):
    """Writes `tensors` (name -> tensor/array) in insertion order, as the HF writer does (aligned, padded)."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    chunks = []
    offset = 0
    for name, value in tensors.items():
        dtype, shape, raw = _to_bytes(value)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    encoded = json.dumps(header, separators=(",", ":")).encode("utf-8")
    encoded += b" " * (-len(encoded) % 8)  # HF pads the header so the data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        for raw in chunks:
            f.write(raw)


def load_file(path):
    """Returns (name -> torch tensor, metadata dict). Validates offsets."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise ValueError(f"{path}: header length {n} exceeds file size {len(data)}")
    header = json.loads(data[8 : 8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    body = data[8 + n :]
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        if not 0 <= begin <= end <= len(body):
            raise ValueError(f"{path}: {name} offsets {begin}..{end} outside the body ({len(body)} bytes)")
        raw = body[begin:end]
        shape = entry["shape"]
        if entry["dtype"] == "BF16":
            bits = np.frombuffer(raw, dtype="<i2").copy()
            tensors[name] = torch.from_numpy(bits).view(torch.bfloat16).reshape(shape)
        else:
            array = np.frombuffer(raw, dtype=_NUMPY[entry["dtype"]]).copy()
            tensors[name] = torch.from_numpy(array.astype(array.dtype.newbyteorder("="))).reshape(shape)
    return tensors, metadata
