#!/usr/bin/env python3
"""Evaluates op cases with Python torch for the parity tests (test/helpers/torch.ts).

stdin: {"device": "cpu", "cases": [{"inputs": [{"data": [...], "shape": [...], "dtype": "float32"}], "expr": "..."}]}
Each expr is a Python expression over x0, x1, ... (torch tensors), torch and F; or "code" holds
statements that assign the result to `out`.
stdout: {"results": [{"data": [...], "shape": [...], "dtype": "..."} | [{...}, ...] | {"error": "..."}]}
"""
import json, sys
import torch
import torch.nn.functional as F

torch.set_num_threads(1)
DT = {"float32": torch.float32, "float64": torch.float64, "int64": torch.int64, "int32": torch.int32,
      "bool": torch.bool, "bfloat16": torch.bfloat16, "float16": torch.float16, "uint8": torch.uint8}
NAME = {v: k for k, v in DT.items()}


def out(t):
    if isinstance(t, (tuple, list)):
        return [out(x) for x in t]
    t = t.detach().cpu()
    dtype = NAME[t.dtype]
    if t.dtype in (torch.bfloat16, torch.float16):
        t = t.float()
    return {"data": t.reshape(-1).tolist(), "shape": list(t.shape), "dtype": dtype}


def main():
    req = json.load(sys.stdin)
    dev = req.get("device", "cpu")
    results = []
    for case in req["cases"]:
        env = {"torch": torch, "F": F}
        for i, x in enumerate(case["inputs"]):
            env[f"x{i}"] = torch.tensor(x["data"], dtype=torch.float64).reshape(x["shape"]).to(DT[x["dtype"]]).to(dev)
        try:
            if "code" in case:  # statements that leave the result in `out`
                exec(case["code"], env)
                results.append(out(env["out"]))
            else:
                results.append(out(eval(case["expr"], env)))
        except Exception as e:  # report, do not stop the batch
            results.append({"error": f"{type(e).__name__}: {e}"})
    json.dump({"results": results}, sys.stdout)


main()
