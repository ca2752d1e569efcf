// train.py of a PyTorch export of a bandit run: the world, the table policy, the DPO-family losses, the metrics and
// the training loop in plain PyTorch, written for a researcher to read and edit. String.raw keeps Python's
// backslashes as written.

export const TRAIN_PY = String.raw`#!/usr/bin/env python3
"""A PrefLab run in plain PyTorch: the bandit world, its table policy and its preference stages (the DPO family).

  python3 train.py --check              replay the first steps and compare every metric with expected.jsonl
  python3 train.py [--device cuda]      run the whole experiment; metrics go to out/metrics.jsonl and .csv
  torchrun --nproc_per_node 2 train.py  the same on 2 processes (data parallel, the global batch kept)
  python3 train.py --pairs 100000 --batch 1024 --steps 5000   a larger run of the same experiment

See README.md for the files, the names in init.safetensors and how the random streams match PrefLab's.
"""

import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

import preflab

HERE = os.path.dirname(os.path.abspath(__file__))


def generate_bandit(w, seed, streams):
    """The bandit world as PrefLab draws it (src/lab/worlds/bandit.ts), from config.json's "experiment" world
    settings w and its Philox streams: a hidden reward and reference logits [P, K] from normals, a random subset of
    responses per prompt that the data covers, and N pairs drawn from the reference (or uniformly) over it, labelled
    Bradley-Terry from the reward with label flips. Returns the tensors of world.safetensors and the reference."""
    P, K, N = w["prompts"], w["responses"], w["pairs"]
    rewards = preflab.PhiloxStream(seed, streams["reward"])
    references = preflab.PhiloxStream(seed, streams["reference"])
    reward = np.array([w["rewardScale"] * rewards.normal() for _ in range(P * K)]).reshape(P, K)
    reference = np.array([w["referenceTemperature"] * references.normal() for _ in range(P * K)], np.float32)
    reference = reference.reshape(P, K)
    # Coverage: each prompt keeps a random subset of its responses (at least two), by a Fisher-Yates shuffle.
    coverage = preflab.PhiloxStream(seed, streams["coverage"])
    keep = max(2, math.floor(w["coverage"] * K + 0.5))
    candidates = []
    for _ in range(P):
        order = list(range(K))
        for i in range(K - 1, 0, -1):
            j = coverage.int(i + 1)
            order[i], order[j] = order[j], order[i]
        candidates.append(sorted(order[:keep]))
    ref_p = []  # pi_ref(y | x) = exp(log_softmax(reference[x]))[y], summed in PrefLab's order
    for row in reference.astype(np.float64).tolist():
        top = max(row)
        lse = top + math.log(sum(math.exp(v - top) for v in row))
        ref_p.append([math.exp(v - lse) for v in row])
    rng = preflab.PhiloxStream(seed, streams["pairs"])

    def draw(x):
        c = candidates[x]
        if w["pairSource"] == "uniform":
            return c[rng.int(len(c))]
        u = rng.uniform() * sum(ref_p[x][y] for y in c)
        for y in c:
            u -= ref_p[x][y]
            if u <= 0:
                return y
        return c[-1]

    pairs = np.zeros((3, N), dtype=np.int32)
    for n in range(N):
        x = rng.int(P)
        y1, y2 = draw(x), draw(x)
        for _ in range(16):  # a pair compares two different responses
            if y2 != y1:
                break
            y2 = draw(x)
        c = candidates[x]
        if y2 == y1:
            y2 = c[(c.index(y1) + 1 + rng.int(len(c) - 1)) % len(c)]
        first_wins = rng.uniform() < 1 / (1 + math.exp(-(reward[x, y1] - reward[x, y2])))
        if rng.uniform() < w["flipRate"]:
            first_wins = not first_wins
        pairs[:, n] = (x, y1, y2) if first_wins else (x, y2, y1)
    prompt, chosen, rejected = pairs
    covered = np.zeros((P, K), dtype=np.uint8)
    for x, c in enumerate(candidates):
        covered[x, c] = 1
    alpha = 1 / (1 + np.exp(-(reward[prompt, chosen] - reward[prompt, rejected])))
    arrays = {"reward": reward, "prompt": prompt, "chosen": chosen, "rejected": rejected, "alpha": alpha}
    tensors = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in arrays.items()}
    tensors["covered"] = torch.from_numpy(covered)
    return tensors, torch.from_numpy(reference)


class Bandit:
    """P prompts x K responses with a hidden reward, and the offline preference pairs (prompt, chosen, rejected)
    PrefLab sampled from it, read from world.safetensors."""

    def __init__(self, tensors, reference_logits, device):
        self.reward = tensors["reward"].to(device)  # [P, K] float64
        self.prompt = tensors["prompt"].long().to(device)  # [N]
        self.chosen = tensors["chosen"].long().to(device)  # [N]
        self.rejected = tensors["rejected"].long().to(device)  # [N]
        self.alpha = tensors["alpha"].to(device)  # [N] true P(chosen preferred), before label flips
        self.reference_logp = F.log_softmax(reference_logits.double().to(device), dim=-1)  # [P, K]

    def optimal_logp(self, beta):
        """log pi_star = log_softmax(log pi_ref + r / beta): the optimum of the KL-regularized reward."""
        return F.log_softmax(self.reference_logp + self.reward / beta, dim=-1)

    def idealized_accuracy(self, beta):
        """Share of pairs the idealized DPO optimum ranks right (Chen et al. 2024, Eq. 3)."""
        a = self.alpha.clamp(1e-12, 1 - 1e-12)
        ref = self.reference_logp
        s = ref[self.prompt, self.chosen] - ref[self.prompt, self.rejected] + torch.log(a / (1 - a)) / beta
        return (s > 0).double().mean().item()


def preference_losses(loss_type, pc, pr, rc, rr, beta, eps, gamma):
    """Per-pair losses of the DPO family, TRL's dpo_loss conventions: pc, pr are the policy's log-probs of the
    chosen and rejected responses, rc, rr the reference's; eps is the label smoothing (cDPO) or flip rate (rDPO)."""
    h = (pc - pr) - (rc - rr)
    if loss_type == "sigmoid":  # DPO; cDPO with label smoothing
        return -F.logsigmoid(beta * h) * (1 - eps) - F.logsigmoid(-beta * h) * eps
    if loss_type == "robust":  # rDPO
        return (-F.logsigmoid(beta * h) * (1 - eps) + F.logsigmoid(-beta * h) * eps) / (1 - 2 * eps)
    if loss_type == "hinge":  # SLiC
        return torch.relu(1 - beta * h)
    if loss_type == "ipo":
        return (h - 1 / (2 * beta)) ** 2
    if loss_type == "sppo_hard":
        return (pc - rc - 0.5 / beta) ** 2 + (pr - rr + 0.5 / beta) ** 2
    if loss_type == "nca_pair":
        cw, cl = beta * (pc - rc), beta * (pr - rr)
        return -F.logsigmoid(cw) - 0.5 * F.logsigmoid(-cw) - 0.5 * F.logsigmoid(-cl)
    if loss_type == "apo_zero":
        return (1 - torch.sigmoid(beta * (pc - rc))) + torch.sigmoid(beta * (pr - rr))
    if loss_type == "simpo":  # reference-free
        z = beta * (pc - pr - gamma / beta)
        return -F.logsigmoid(z) * (1 - eps) - F.logsigmoid(-z) * eps
    raise ValueError(f"unknown loss_type {loss_type!r}")


class TablePolicy(torch.nn.Module):
    """The bandit's policy: a table of logits [P, K], pi(y | x) = softmax(logits[x])[y]."""

    def __init__(self, logits):
        super().__init__()
        self.logits = torch.nn.Parameter(logits.clone())

    def forward(self, x):
        return self.logits[x]


# The step metrics, in the order preference_step sums them.
STEP_METRICS = ["loss", "rewards/chosen", "rewards/rejected", "rewards/margins", "logps/chosen", "logps/rejected",
                "rewards/accuracies"]


def preference_step(policy, reference, world, stage, pick, procs):
    """The loss of this process's share (indices pick into the pairs) of a batch of stage["batch"] pairs, and the
    batch's step metrics, named as TRL logs them."""
    x, yw, yl = world.prompt[pick], world.chosen[pick], world.rejected[pick]
    # A response is one token, so a sequence log-prob is one log-softmax entry; the length-averaged log-probs
    # that ipo and simpo take (stage["averaged"]) are the same numbers.
    policy_logp = F.log_softmax(policy(x), dim=-1)  # [B, K]
    with torch.no_grad():
        reference_logp = F.log_softmax(reference[x], dim=-1)
    pc, pr = policy_logp.gather(1, yw[:, None])[:, 0], policy_logp.gather(1, yl[:, None])[:, 0]
    rc, rr = reference_logp.gather(1, yw[:, None])[:, 0], reference_logp.gather(1, yl[:, None])[:, 0]
    beta, n = stage["beta"], stage["batch"]
    losses = preference_losses(stage["loss_type"], pc, pr, rc, rr, beta, stage["label_smoothing"], stage["gamma"])
    with torch.no_grad():
        # Implicit rewards; a reference-free loss (simpo) rewards beta times the policy's log-probs.
        chosen_rewards = beta * (pc if stage["reference_free"] else pc - rc)
        rejected_rewards = beta * (pr if stage["reference_free"] else pr - rr)
        sums = [losses, chosen_rewards, rejected_rewards, chosen_rewards - rejected_rewards, pc, pr]
        counts = preflab.greater_counts(chosen_rewards, rejected_rewards)
        # Means over the whole batch: every process's share summed, then divided by the batch size.
        mean = procs.total(torch.cat([torch.stack([v.sum() for v in sums]).double(), counts])) / n
        metrics = dict(zip(STEP_METRICS, mean[:7].tolist()))
        ranges = {"rewards/accuracies": tuple(mean[7:].tolist())}
    # The mean loss of the batch; DDP averages the gradients of its procs.size processes, hence the factor.
    return losses.sum() / n * procs.size, metrics, ranges


@torch.no_grad()
def period_metrics(logits, world, stage):
    """The metrics PrefLab reads back every metrics period, in float64 from the float32 table: KL to the
    reference and to the closed-form optimum, entropy, the exact mean hidden reward, and how the policy ranks every
    offline pair."""
    logp = F.log_softmax(logits.double(), dim=-1)
    p = logp.exp()

    def kl(logq):  # mean over prompts of KL(pi || q)
        return torch.where(p > 0, p * (logp - logq), torch.zeros_like(p)).sum(-1).mean().item()

    ranked = preflab.greater_counts(logp[world.prompt, world.chosen], logp[world.prompt, world.rejected])
    ranked = (ranked / world.prompt.numel()).tolist()
    metrics = {
        "kl/reference": kl(world.reference_logp),
        "kl/optimal": kl(world.optimal_logp(stage["beta"])),
        "entropy": -torch.where(p > 0, p * logp, torch.zeros_like(p)).sum(-1).mean().item(),
        "reward/true": (p * world.reward).sum(-1).mean().item(),  # the policy's exact mean hidden reward
        "ranking/accuracy": ranked[0],
        "ranking/idealized": world.idealized_accuracy(stage["beta"]),
    }
    return metrics, {"ranking/accuracy": tuple(ranked[1:])}


def train(cfg, device, procs, on_row, max_steps=None, generated=None):
    """Run the stages in order (at most max_steps steps in all); each logged row goes to on_row. The world and
    initial weights are the exported ones, or generated (generate_bandit's result) for a scaled run.
    Returns the tie ranges of each row's share metrics, in row order, and (row, entries) where AdamW first moved
    entries on a gradient at rounding level, for --check."""
    if generated is None:
        init = preflab.read_safetensors(os.path.join(HERE, "init.safetensors"))
        tensors = preflab.read_safetensors(os.path.join(HERE, "world.safetensors"))
        reference, start = init["reference.logits"], init["policy.logits"]
    else:
        tensors, reference = generated
        start = reference  # the policy starts at the reference, as in PrefLab
    reference = reference.to(device)  # frozen
    world = Bandit(tensors, reference, device)
    model = TablePolicy(start).to(device)
    policy = model
    if procs.size > 1:
        policy = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    every, seed, pairs = cfg["metrics_every"], cfg["seed"], world.prompt.numel()
    ranges, fragile, done = [], [], 0
    for stage in cfg["stages"]:
        o = stage["optimizer"]
        # Each stage starts its own optimizer (fresh moments, step count from 1), as PrefLab does.
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=o["lr"], betas=(o["beta1"], o["beta2"]), eps=o["eps"], weight_decay=o["weight_decay"]
        )
        for step in range(1, stage["steps"] + 1):
            if max_steps is not None and done >= max_steps:
                return ranges, fragile
            # The batch: stage["batch"] pair indices from the stage's Philox stream at this step, as PrefLab draws;
            # each process trains on its share.
            pick = preflab.philox_indices(seed, stage["batch_stream"], step, pairs, stage["batch"])
            pick = torch.from_numpy(procs.share(pick).astype(np.int64)).to(device)
            optimizer.zero_grad()
            loss, row, row_ranges = preference_step(policy, reference, world, stage, pick, procs)
            loss.backward()
            fresh = preflab.rounding_level_first_steps(optimizer)
            if fresh:
                fragile.append((done, fresh))
            optimizer.step()
            if step % every == 0 or step == stage["steps"]:
                metrics, metric_ranges = period_metrics(model.logits, world, stage)
                row.update(metrics)
                row_ranges.update(metric_ranges)
            ranges.append(row_ranges)
            on_row({"stage": stage["name"], "step": step, **row})
            done += 1
    return ranges, fragile


# Knobs of a scaled run: the world's sizes, and every stage's batch and steps.
SCALE_KNOBS = {
    "prompts": "prompts of the world",
    "responses": "responses per prompt",
    "pairs": "offline preference pairs",
    "batch": "pairs per step, in every stage (under torchrun: the global batch)",
    "steps": "steps of every stage",
}


def scaled(cfg, knobs):
    """config.json with the scale knobs applied."""
    cfg = json.loads(json.dumps(cfg))
    world = cfg["experiment"]["world"]
    for k in ("prompts", "responses", "pairs"):
        world[k] = knobs.get(k, world[k])
    for stage in cfg["stages"]:
        stage["batch"], stage["steps"] = knobs.get("batch", stage["batch"]), knobs.get("steps", stage["steps"])
    return cfg


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="replay the steps of expected.jsonl and compare")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or mps (default cpu)")
    parser.add_argument("--out", default=os.path.join(HERE, "out"), help="folder for metrics.jsonl and metrics.csv")
    scale = parser.add_argument_group("scale (a run of its own: the world is drawn again with PrefLab's generator)")
    for knob, what in SCALE_KNOBS.items():
        scale.add_argument(f"--{knob}", type=int, metavar="N", help=what)
    args = parser.parse_args(argv)
    cfg = preflab.load_config(os.path.join(HERE, "config.json"))
    knobs = {k: getattr(args, k) for k in SCALE_KNOBS if getattr(args, k) is not None}
    if knobs and args.check:
        sys.exit(f"--check replays the exported run: drop --{', --'.join(knobs)}")
    if any(v < 1 for v in knobs.values()):
        sys.exit("the scale knobs take whole numbers of at least 1")
    if cfg["world"] != "bandit":
        sys.exit(f"config.json: world {cfg['world']!r}: this train.py runs the bandit world")
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        sys.exit("--device cuda: torch sees no CUDA device here")
    if device.type == "mps" and not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
        sys.exit("--device mps: torch sees no MPS device here")
    procs = preflab.Processes(device)
    if device.type == "cuda" and procs.size > 1:
        device = torch.device("cuda", procs.local_rank)
    # Nothing here draws from torch's generator: PrefLab's Philox streams give every random number.
    rows = []
    try:
        if args.check:
            ranges, fragile = train(cfg, device, procs, rows.append, max_steps=cfg["expected_steps"])
            # Every process holds the batch metrics; the first one compares and reports.
            expected = os.path.join(HERE, "expected.jsonl")
            return preflab.check(rows, ranges, expected, fragile) if procs.rank == 0 else 0

        def log(row):
            rows.append(row)
            if "kl/reference" in row and procs.rank == 0:
                print(f"{row['stage']} step {row['step']}: loss {row['loss']:.4f}, kl/optimal {row['kl/optimal']:.4f}")

        cfg, generated = scaled(cfg, knobs), None
        if knobs.keys() & {"prompts", "responses", "pairs"}:
            generated = generate_bandit(cfg["experiment"]["world"], cfg["seed"], cfg["world_streams"])
        train(cfg, device, procs, log, generated=generated)
        if procs.rank == 0:
            preflab.write_metrics(rows, cfg["columns"], args.out)
            print(f"done: {len(rows)} rows in {os.path.join(args.out, 'metrics.jsonl')} and metrics.csv")
        return 0
    finally:
        procs.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
`;
