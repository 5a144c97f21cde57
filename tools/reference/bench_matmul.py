"""Times matrix products on CPU with PyTorch, the peer of @gpt2/backends' kernel bench.

Usage (from the repository root):
    /usr/bin/python3 tools/reference/bench_matmul.py '{"threads":1,"shapes":[{"a":[2048,128],"b":[128,512],"transpose_a":false,"transpose_b":false}]}'
Prints one JSON line: {"gflops": [...], "threads": ..., "torch": ...}, one figure per shape,
the best of `repeats` timed calls after one warm-up (as the TypeScript bench does).
"""

import json
import os
import sys
import time

import torch

sys.dont_write_bytecode = True


def main():
    options = json.loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    threads = int(options.get("threads", os.cpu_count() or 1))
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    repeats = int(options.get("repeats", 5))
    results = []
    with torch.no_grad():
        for shape in options.get("shapes", []):
            a = torch.randn(shape["a"])
            b = torch.randn(shape["b"])
            ta = a.transpose(-2, -1) if shape.get("transpose_a") else a
            tb = b.transpose(-2, -1) if shape.get("transpose_b") else b
            out = ta @ tb  # warm-up
            batch = out.shape[0] if out.dim() == 3 else 1
            m, k, n = ta.shape[-2], ta.shape[-1], tb.shape[-1]
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                ta @ tb
                best = min(best, time.perf_counter() - start)
            results.append(2 * batch * m * k * n / best / 1e9)
    print(json.dumps({"gflops": results, "threads": threads, "torch": torch.__version__}))


if __name__ == "__main__":
    main()
