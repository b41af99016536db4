"""Writes test/fixtures/golden.json: unlearning losses and their gradients computed by PyTorch.

Run from the package folder with `/usr/bin/python3 scripts/make_golden.py` (PyTorch 1.13, float64).
The inputs are random logits of a policy and of a frozen reference over a tiny vocabulary, token ids
and a completion mask; every loss is formed from log_softmax, exactly as the spec states it, with
the batch reductions of the TOFU code: token-mean for GA and retain, per-sequence then batch mean for
NPO and SimNPO. Gradients are with respect to the policy logits.
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(20241204)
B, T, V = 3, 7, 6


def response_logprobs(logits, ids, completion):
    # logits[:, t] predicts ids[:, t + 1]; only completion positions are scored.
    lp = F.log_softmax(logits[:, :-1, :], dim=-1)
    picked = lp.gather(2, ids[:, 1:].unsqueeze(2)).squeeze(2)
    mask = completion[:, 1:]
    return picked * mask, mask


def losses(policy_logits, ref_logits, ids, completion, retain_logits, retain_ids, retain_completion):
    lp, mask = response_logprobs(policy_logits, ids, completion)
    seq = lp.sum(1)
    count = mask.sum(1)
    with torch.no_grad():
        rlp, _ = response_logprobs(ref_logits, ids, completion)
        ref_seq = rlp.sum(1)
    rl, rmask = response_logprobs(retain_logits, retain_ids, retain_completion)
    retain = -(rl.sum() / rmask.sum())
    ga = lp.sum() / mask.sum()
    out = {'ga': ga, 'retain': retain}
    for beta in (0.1, 1.0):
        out[f'npo_beta{beta}'] = ((2 / beta) * F.softplus(beta * (seq - ref_seq))).mean()
    for beta, gamma in ((2.5, 0.0), (2.5, 1.0), (4.5, 0.5)):
        out[f'simnpo_beta{beta}_gamma{gamma}'] = (
            -(2 / beta) * F.logsigmoid(-(beta / count) * seq - gamma)
        ).mean()
    out['simnpo_gd'] = 0.125 * out['simnpo_beta4.5_gamma0.5'] + 1.0 * retain
    out['npo_gd'] = out['npo_beta0.1'] + retain
    out['graddiff'] = ga + retain
    return out


def grad_list(t):
    # A loss that does not read a tensor leaves its grad None: that gradient is zero.
    return (t.grad if t.grad is not None else torch.zeros_like(t)).flatten().tolist()


def main():
    policy = torch.randn(B, T, V, dtype=torch.float64) * 2
    ref = policy + 0.3 * torch.randn(B, T, V, dtype=torch.float64)
    ids = torch.randint(0, V, (B, T))
    # Prompt lengths 2, 3, 4; the last row also ends in one padding position.
    completion = torch.zeros(B, T, dtype=torch.float64)
    completion[0, 2:] = 1
    completion[1, 3:] = 1
    completion[2, 4:6] = 1
    retain_logits = torch.randn(2, T, V, dtype=torch.float64)
    retain_ids = torch.randint(0, V, (2, T))
    retain_completion = torch.zeros(2, T, dtype=torch.float64)
    retain_completion[0, 3:] = 1
    retain_completion[1, 1:5] = 1

    results = {}
    for name in losses(policy, ref, ids, completion, retain_logits, retain_ids, retain_completion):
        p = policy.clone().requires_grad_(True)
        r = retain_logits.clone().requires_grad_(True)
        value = losses(p, ref, ids, completion, r, retain_ids, retain_completion)[name]
        value.backward()
        results[name] = {
            'value': value.item(),
            'gradPolicyLogits': grad_list(p),
            'gradRetainLogits': grad_list(r),
        }

    golden = {
        'generator': 'scripts/make_golden.py, torch ' + torch.__version__ + ', float64',
        'shape': [B, T, V],
        'retainShape': [2, T, V],
        'policyLogits': policy.flatten().tolist(),
        'referenceLogits': ref.flatten().tolist(),
        'ids': ids.flatten().tolist(),
        'completionMask': completion.flatten().tolist(),
        'retainLogits': retain_logits.flatten().tolist(),
        'retainIds': retain_ids.flatten().tolist(),
        'retainCompletionMask': retain_completion.flatten().tolist(),
        'results': results,
    }
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, '..', 'test', 'fixtures', 'golden.json')
    with open(path, 'w') as f:
        json.dump(golden, f, indent=1)
        f.write('\n')
    print('wrote', os.path.normpath(path), {k: round(v['value'], 6) for k, v in results.items()})


if __name__ == '__main__':
    main()
