"""Writes test/fixtures/golden.json: PyTorch (float64) values and gradients of the DPO, DPO-RK, DPO-D
and IPO losses on a few seeded random batches, for the golden test of @lab/dpo-ties.

Run from the package folder:  /usr/bin/python3 scripts/make_golden.py

This script writes the losses from the Rao-Kupper and Davidson probabilities with torch's logsigmoid and
logsumexp, independently of the TypeScript code. Gradients are d(batch-mean loss)/d(each input log-prob) from
torch.autograd.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)


def margin(pc, pr, rc, rr, beta, lc=None, lr=None):
    if lc is not None:
        pc, pr, rc, rr = pc / lc, pr / lr, rc / lc, rr / lr
    return beta * ((pc - rc) - (pr - rr))


def dpo(d, tie, params):
    return -F.logsigmoid(d)


def rao_kupper(d, tie, params):
    nu = params["nu"]
    alpha = math.log(nu)
    win = F.logsigmoid(d - alpha)
    tied = math.log(nu * nu - 1) + F.logsigmoid(d - alpha) + F.logsigmoid(-d - alpha)
    return -torch.where(tie, tied, win)


def davidson(d, tie, params):
    nu = math.exp(params["alpha"]) if "alpha" in params else params["nu"]
    log2nu = math.log(2 * nu)
    # p(win) = e^{d/2} / (e^{d/2} + e^{-d/2} + 2 nu); p(tie) = 2 nu / (same)
    denominator = torch.logsumexp(torch.stack([d / 2, -d / 2, torch.full_like(d, log2nu)]), dim=0)
    win = d / 2 - denominator
    tied = log2nu - denominator
    return -torch.where(tie, tied, win)


def ipo(pc, pr, rc, rr, lc, lr, beta):
    h = (pc / lc - rc / lc) - (pr / lr - rr / lr)
    return (h - 1 / (2 * beta)) ** 2


def batch(generator, rows, scale):
    def logps():
        return -(torch.rand(rows, generator=generator) * scale + 1.0)

    return {
        "policyChosen": logps(),
        "policyRejected": logps(),
        "referenceChosen": logps(),
        "referenceRejected": logps(),
        "chosenLengths": torch.randint(1, 40, (rows,), generator=generator).to(torch.float64),
        "rejectedLengths": torch.randint(1, 40, (rows,), generator=generator).to(torch.float64),
        "tie": torch.rand(rows, generator=generator) < 0.5,
    }


CASES = [
    # (loss, params, beta, length-normalised)
    ("dpo", {}, 0.1, False),
    ("dpo", {}, 0.5, True),
    ("dpo-rk", {"nu": 3.0}, 0.1, False),
    ("dpo-rk", {"nu": 1.5}, 1.0, False),
    ("dpo-rk", {"nu": 3.0}, 0.3, True),
    ("dpo-d", {"nu": 1.0}, 0.1, False),
    ("dpo-d", {"alpha": -1.0}, 0.7, False),
    ("dpo-d", {"nu": 1.0}, 5.0, False),
    ("ipo", {}, 0.5, True),
]

LOSSES = {"dpo": dpo, "dpo-rk": rao_kupper, "dpo-d": davidson}
NAMES = ["policyChosen", "policyRejected", "referenceChosen", "referenceRejected"]


def run_case(generator, loss, params, beta, normalised):
    inputs = batch(generator, rows=6, scale=60.0)
    leaves = {name: inputs[name].clone().requires_grad_(True) for name in NAMES}
    lc, lr = inputs["chosenLengths"], inputs["rejectedLengths"]
    args = [leaves[n] for n in NAMES]
    if loss == "ipo":
        per_pair = ipo(*args, lc, lr, beta)
    else:
        d = margin(*args, beta, lc, lr) if normalised else margin(*args, beta)
        per_pair = LOSSES[loss](d, inputs["tie"], params)
    value = per_pair.mean()
    value.backward()
    return {
        "loss": loss,
        "params": params,
        "beta": beta,
        "lengthNormalized": normalised,
        "inputs": {k: v.tolist() for k, v in inputs.items()},
        "perPair": per_pair.detach().tolist(),
        "mean": value.item(),
        "grads": {n: leaves[n].grad.tolist() for n in NAMES},
    }


def main():
    generator = torch.Generator().manual_seed(20240917)
    cases = [run_case(generator, *case) for case in CASES]
    here = os.path.dirname(os.path.abspath(__file__))
    out = os.path.join(here, "..", "test", "fixtures", "golden.json")
    with open(out, "w") as f:
        json.dump({"torch": torch.__version__, "dtype": "float64", "cases": cases}, f, indent=1)
        f.write("\n")
    print(f"wrote {len(cases)} cases to {os.path.normpath(out)}")


if __name__ == "__main__":
    main()
