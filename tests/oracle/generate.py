# The PyTorch oracle: writes every op's fixtures (design/OPS.md format) from PyTorch autograd in float64.
"""Fixture generator for PrefLab's kernel tests.

Every fixture's inputs are drawn from a seeded torch.Generator, rounded to float32 (the precision the kernels
see), then promoted to float64; outputs and gradients come from PyTorch (autograd for the gradients) in float64.
The files are a pure function of this script and the torch version: `npm run oracle` rewrites them, and
`npm run oracle -- --check` regenerates into a temporary folder and fails if any byte differs.

Run it with an interpreter that has torch (Debian: apt-get install python3-torch):
    python3 tests/oracle/generate.py [--out tests/fixtures] [--check]
"""

import argparse
import filecmp
import math
import os
import shutil
import sys
import tempfile

import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)

DEFAULT_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fixtures")
LOSS_TOL = {"rtol": 2e-4, "atol": 2e-5}


# ---- tensors and JSON ----


class Rng:
    """One seeded generator per fixture, so adding a fixture never changes another's data."""

    def __init__(self, name):
        seed = 0
        for ch in name.encode():
            seed = (seed * 131 + ch) % (2**61 - 1)
        self.g = torch.Generator().manual_seed(seed)

    def normal(self, *shape, scale=1.0, shift=0.0):
        x = torch.randn(*shape, generator=self.g, dtype=torch.float32) * scale + shift
        return x.to(torch.float32).to(torch.float64)

    def uniform(self, *shape, lo=0.0, hi=1.0):
        x = torch.rand(*shape, generator=self.g, dtype=torch.float32) * (hi - lo) + lo
        return x.to(torch.float32).to(torch.float64)

    def ints(self, n, hi):
        return torch.randint(0, hi, (n,), generator=self.g, dtype=torch.int64)

    def mask(self, *shape, keep=0.7):
        """0/1 float mask with at least one 1 along the last axis."""
        m = (torch.rand(*shape, generator=self.g) < keep).to(torch.float64)
        flat = m.reshape(-1, shape[-1])
        flat[:, 0] = 1.0
        return flat.reshape(shape)

    def words(self, *shape):
        return torch.randint(0, 2**32, shape, generator=self.g, dtype=torch.int64)


def fmt(v, digits):
    if v != v or v in (math.inf, -math.inf):
        raise ValueError(f"non-finite value {v} in a fixture")
    if float(v).is_integer() and abs(v) < 2**53:
        return f"{int(v)}.0"
    return format(float(v), f".{digits}g")


def tensor_json(t, dtype=None, digits=10):
    """float32 inputs print with 9 significant digits (enough to round-trip), float64 results with `digits`."""
    shape = list(t.shape)
    flat = t.reshape(-1).tolist()
    if dtype in ("i32", "u32"):
        data = ", ".join(str(int(v)) for v in flat)
    else:
        data = ", ".join(fmt(v, digits) for v in flat)
    kind = f', "dtype": "{dtype}"' if dtype else ""
    return f'{{"shape": {shape}{kind}, "data": [{data}]}}'


def attr_json(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return f'"{v}"'
    if isinstance(v, int):
        return str(v)
    return repr(float(v))


def section(entries, digits):
    lines = []
    for name, value in entries.items():
        t, dtype = value if isinstance(value, tuple) else (value, None)
        lines.append(f'    "{name}": {tensor_json(t.detach(), dtype, digits)}')
    return "{\n" + ",\n".join(lines) + "\n  }" if lines else "{}"


class Writer:
    def __init__(self, out):
        self.out = out
        self.files = []

    def write(self, file, op, attrs, inputs, outputs, grads, objective, tol):
        # A tolerance of 0 compares exactly: print results with every digit float64 has.
        digits = 17 if tol["rtol"] == 0 and tol["atol"] == 0 else 10
        attrs_text = ", ".join(f'"{k}": {attr_json(v)}' for k, v in attrs.items())
        text = (
            "{\n"
            f'  "op": "{op}",\n'
            f'  "attrs": {{{attrs_text}}},\n'
            f'  "inputs": {section(inputs, 9)},\n'
            f'  "outputs": {section(outputs, digits)},\n'
            f'  "grads": {section(grads, digits)},\n'
            f'  "objective": "{objective}",\n'
            f'  "tolerance": {{"rtol": {tol["rtol"]!r}, "atol": {tol["atol"]!r}}}\n'
            "}\n"
        )
        path = os.path.join(self.out, file)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        self.files.append(file)


def leaf(t):
    return t.clone().requires_grad_(True)


def grads_of(objective, named):
    """Gradients of a scalar objective w.r.t. the named leaf tensors, by autograd."""
    gs = torch.autograd.grad(objective, list(named.values()))
    return dict(zip(named.keys(), gs))


def logsig(x):
    return F.logsigmoid(x)


# ---- ops (OPS.md) ----


def gen_matmul(w):
    for M, K, N in [(16, 32, 8), (33, 70, 17), (64, 64, 64)]:
        for ta in (False, True):
            for tb in (False, True):
                name = f"matmul_{M}x{K}x{N}_{int(ta)}{int(tb)}.json"
                r = Rng(name)
                a = leaf(r.normal(*((K, M) if ta else (M, K))))
                b = leaf(r.normal(*((N, K) if tb else (K, N))))
                dc = r.normal(M, N)
                c = (a.t() if ta else a) @ (b.t() if tb else b)
                g = grads_of((dc * c).sum(), {"a": a, "b": b})
                # A K-term dot product in float32 carries an error growing like sqrt(K).
                tol = {"rtol": 1e-4, "atol": 1e-4 * math.sqrt(K)}
                w.write(name, "matmul", {"transA": ta, "transB": tb}, {"a": a, "b": b, "d_c": dc}, {"c": c}, g,
                        "sum(d_c*c)", tol)


def gen_linear(w):
    for N, IN, OUT in [(8, 4, 16), (32, 64, 10)]:
        name = f"linear_{N}x{IN}x{OUT}.json"
        r = Rng(name)
        x = leaf(r.normal(N, IN))
        wt = leaf(r.normal(IN, OUT, scale=1 / math.sqrt(IN)))
        b = leaf(r.normal(OUT))
        dy = r.normal(N, OUT)
        y = x @ wt + b
        g = grads_of((dy * y).sum(), {"x": x, "w": wt, "b": b})
        w.write(name, "linear", {}, {"x": x, "w": wt, "b": b, "d_y": dy}, {"y": y}, g, "sum(d_y*y)",
                {"rtol": 2e-4, "atol": 1e-4})


def gen_activation(w):
    fns = {
        "relu": F.relu,
        "gelu": lambda x: F.gelu(x, approximate="tanh"),
        "silu": F.silu,
        "tanh": torch.tanh,
    }
    for kind, fn in fns.items():
        name = f"activation_{kind}_64.json"
        r = Rng(name)
        x = r.normal(64, scale=3.0)
        if kind == "relu":
            # relu has no derivative at 0: keep every input away from the kink.
            x = torch.where(x.abs() < 1e-3, x + 0.01, x)
        x = leaf(x)
        dy = r.normal(64)
        y = fn(x)
        w.write(name, "activation", {"kind": kind}, {"x": x, "d_y": dy}, {"y": y}, grads_of((dy * y).sum(), {"x": x}),
                "sum(d_y*y)", LOSS_TOL)


def gen_row_norms(w):
    for op, fn in [("softmax", F.softmax), ("log_softmax", F.log_softmax)]:
        for R, C in [(4, 10), (7, 33), (32, 128)]:
            for scale in (1, 8):
                name = f"{op}_{R}x{C}_s{scale}.json"
                r = Rng(name)
                x = leaf(r.normal(R, C, scale=float(scale)))
                dy = r.normal(R, C)
                y = fn(x, dim=-1)
                w.write(name, op, {}, {"x": x, "d_y": dy}, {"y": y}, grads_of((dy * y).sum(), {"x": x}), "sum(d_y*y)",
                        LOSS_TOL)


def gen_cross_entropy(w):
    for R, V in [(8, 16), (64, 50)]:
        name = f"cross_entropy_{R}x{V}.json"
        r = Rng(name)
        logits = leaf(r.normal(R, V, scale=3.0))
        targets = r.ints(R, V)
        mask = r.mask(R, keep=0.6).reshape(-1)
        nll = F.cross_entropy(logits, targets, reduction="none")
        loss = (mask * nll).sum() / mask.sum()
        w.write(name, "cross_entropy", {}, {"logits": logits, "targets": (targets, "i32"), "mask": mask},
                {"loss": loss}, grads_of(loss, {"logits": logits}), "loss", LOSS_TOL)


def gen_sequence_logps(w):
    for B, T, V in [(4, 6, 12), (8, 16, 32)]:
        for average in (False, True):
            name = f"sequence_logps_{B}x{T}x{V}_{'avg' if average else 'sum'}.json"
            r = Rng(name)
            logits = leaf(r.normal(B, T, V, scale=2.0))
            targets = r.ints(B * T, V).reshape(B, T)
            mask = r.mask(B, T, keep=0.7)
            dl = r.normal(B)
            tok = torch.gather(F.log_softmax(logits, dim=-1), 2, targets.unsqueeze(-1)).squeeze(-1)
            logps = (mask * tok).sum(-1)
            if average:
                logps = logps / mask.sum(-1)
            w.write(name, "sequence_logps", {"average": average},
                    {"logits": logits, "targets": (targets, "i32"), "mask": mask, "d_logps": dl}, {"logps": logps},
                    grads_of((dl * logps).sum(), {"logits": logits}), "sum(d_logps*logps)", LOSS_TOL)


def preference_losses(loss_type, pc, pr, rc, rr, beta, eps, gamma):
    """Per-pair losses and rewards, TRL dpo_loss conventions as OPS.md settles them."""
    h = (pc - pr) - (rc - rr)
    cw, cl = beta * (pc - rc), beta * (pr - rr)
    if loss_type == "sigmoid":
        losses = -logsig(beta * h) * (1 - eps) - logsig(-beta * h) * eps
    elif loss_type == "robust":
        losses = (-logsig(beta * h) * (1 - eps) + logsig(-beta * h) * eps) / (1 - 2 * eps)
    elif loss_type == "hinge":
        losses = F.relu(1 - beta * h)
    elif loss_type == "ipo":
        losses = (h - 1 / (2 * beta)) ** 2
    elif loss_type == "sppo_hard":
        losses = (pc - rc - 0.5 / beta) ** 2 + (pr - rr + 0.5 / beta) ** 2
    elif loss_type == "nca_pair":
        losses = -logsig(cw) - 0.5 * logsig(-cw) - 0.5 * logsig(-cl)
    elif loss_type == "apo_zero":
        losses = (1 - torch.sigmoid(cw)) + torch.sigmoid(cl)
    elif loss_type == "simpo":
        hs = pc - pr - gamma / beta
        losses = -logsig(beta * hs) * (1 - eps) - logsig(-beta * hs) * eps
        cw, cl = beta * pc, beta * pr
    else:
        raise ValueError(loss_type)
    return losses, cw, cl


PREFERENCE_SETTINGS = {
    "sigmoid": [(0.1, 0.0, 0.0), (0.5, 0.1, 0.0)],
    "robust": [(0.1, 0.2, 0.0), (0.5, 0.2, 0.0)],
    "hinge": [(0.1, 0.0, 0.0), (0.5, 0.0, 0.0)],
    "ipo": [(0.1, 0.0, 0.0), (0.5, 0.0, 0.0)],
    "sppo_hard": [(0.1, 0.0, 0.0), (0.5, 0.0, 0.0)],
    "nca_pair": [(0.1, 0.0, 0.0), (0.5, 0.0, 0.0)],
    "apo_zero": [(0.1, 0.0, 0.0), (0.5, 0.0, 0.0)],
    "simpo": [(0.1, 0.0, 0.5), (0.5, 0.1, 0.5)],
}


def gen_preference_loss(w):
    for loss_type, settings in PREFERENCE_SETTINGS.items():
        for beta, eps, gamma in settings:
            name = f"preference_loss_{loss_type}_b{beta}.json"
            r = Rng(name)
            pc, pr, rc, rr = (r.normal(8, scale=4.0, shift=-20.0) for _ in range(4))
            if loss_type in ("ipo", "simpo"):
                # Length-averaged log-probs (OPS.md), a few nats per token.
                pc, pr, rc, rr = (t / 10 for t in (pc, pr, rc, rr))
                pc, pr, rc, rr = (t.to(torch.float32).to(torch.float64) for t in (pc, pr, rc, rr))
            pc, pr = leaf(pc), leaf(pr)
            losses, cw, cl = preference_losses(loss_type, pc, pr, rc, rr, beta, eps, gamma)
            loss = losses.mean()
            attrs = {"loss_type": loss_type, "beta": beta, "label_smoothing": eps}
            if loss_type == "simpo":
                attrs["gamma"] = gamma
            w.write(name, "preference_loss", attrs,
                    {"policy_chosen_logps": pc, "policy_rejected_logps": pr, "reference_chosen_logps": rc,
                     "reference_rejected_logps": rr},
                    {"losses": losses, "loss": loss, "chosen_rewards": cw, "rejected_rewards": cl},
                    grads_of(loss, {"policy_chosen_logps": pc, "policy_rejected_logps": pr}), "loss",
                    {"rtol": 2e-4, "atol": 1e-5})


def distill_rows(kind, beta, s, t, T):
    """Per-row divergence between softmax(s/T) and softmax(t/T), TRL generalized_jsd_loss conventions.

    F.kl_div(input, target, log_target=True) is KL(target || input). TRL's jsd is forward KL at beta = 0 and
    reverse KL at beta = 1 exactly (not the mixture, which is identically zero there).
    """
    ls = F.log_softmax(s / T, dim=-1)
    lt = F.log_softmax(t / T, dim=-1)
    if kind == "jsd" and beta == 0.0:
        kind = "forward_kl"
    if kind == "jsd" and beta == 1.0:
        kind = "reverse_kl"
    if kind == "forward_kl":
        return F.kl_div(ls, lt, reduction="none", log_target=True).sum(-1)
    if kind == "reverse_kl":
        return F.kl_div(lt, ls, reduction="none", log_target=True).sum(-1)
    b = torch.tensor(beta)
    lm = torch.logsumexp(torch.stack([ls + torch.log1p(-b), lt + torch.log(b)]), dim=0)
    kl_t = F.kl_div(lm, lt, reduction="none", log_target=True).sum(-1)
    kl_s = F.kl_div(lm, ls, reduction="none", log_target=True).sum(-1)
    return beta * kl_t + (1 - beta) * kl_s


def distill_loss(kind, beta, s, t, mask, T, scale_t2):
    loss = (mask * distill_rows(kind, beta, s, t, T)).sum() / mask.sum()
    return loss * T * T if scale_t2 else loss


DISTILL_SETTINGS = [("forward_kl", 0.0), ("reverse_kl", 1.0), ("jsd", 0.0), ("jsd", 0.1), ("jsd", 0.5), ("jsd", 1.0)]


def gen_distill_loss(w):
    for kind, beta in DISTILL_SETTINGS:
        for T, scale_t2 in [(1.0, False), (2.0, True)]:
            for R, V in [(6, 10), (32, 64)]:
                name = f"distill_loss_{kind}_beta{beta}_T{T}_{R}x{V}.json"
                r = Rng(name)
                s = leaf(r.normal(R, V, scale=3.0))
                t = r.normal(R, V, scale=3.0)
                mask = r.mask(R, keep=0.8).reshape(-1)
                loss = distill_loss(kind, beta, s, t, mask, T, scale_t2)
                w.write(name, "distill_loss", {"kind": kind, "beta": beta, "temperature": T, "scale_t2": scale_t2},
                        {"student_logits": s, "teacher_logits": t, "mask": mask}, {"loss": loss},
                        grads_of(loss, {"student_logits": s}), "loss", LOSS_TOL)


def gen_mse(w):
    name = "mse_32x2.json"
    r = Rng(name)
    pred = leaf(r.normal(32, 2))
    target = r.normal(32, 2)
    loss = ((pred - target) ** 2).mean()
    w.write(name, "mse", {}, {"pred": pred, "target": target}, {"loss": loss}, grads_of(loss, {"pred": pred}), "loss",
            LOSS_TOL)


def gen_diffusion_dpo_loss(w):
    for beta in (50.0, 500.0):
        name = f"diffusion_dpo_loss_b{int(beta)}.json"
        r = Rng(name)
        mc, mr, rc, rr, tc, tr = (r.normal(8, 2) for _ in range(6))
        mc, mr = leaf(mc), leaf(mr)
        mse_row = lambda a, b: ((a - b) ** 2).mean(-1)  # noqa: E731
        model_diff = mse_row(mc, tc) - mse_row(mr, tr)
        ref_diff = mse_row(rc, tc) - mse_row(rr, tr)
        loss = (-logsig(-0.5 * beta * (model_diff - ref_diff))).mean()
        w.write(name, "diffusion_dpo_loss", {"beta": beta},
                {"model_pred_chosen": mc, "model_pred_rejected": mr, "ref_pred_chosen": rc, "ref_pred_rejected": rr,
                 "target_chosen": tc, "target_rejected": tr},
                {"loss": loss}, grads_of(loss, {"model_pred_chosen": mc, "model_pred_rejected": mr}), "loss",
                LOSS_TOL)


def gen_adamw(w):
    hyper = {"lr": 1e-3, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8}
    for step in (1, 7):
        for wd in (0.0, 0.01):
            name = f"adamw_64_t{step}_wd{wd}.json"
            r = Rng(name)
            param = r.normal(64)
            grad = r.normal(64)
            # The first step starts from zero moments; a later one from moments of earlier gradients.
            m = torch.zeros(64) if step == 1 else r.normal(64, scale=0.1)
            v = torch.zeros(64) if step == 1 else (r.normal(64, scale=0.1) ** 2).to(torch.float32).to(torch.float64)
            p = torch.nn.Parameter(param.clone())
            opt = torch.optim.AdamW([p], lr=hyper["lr"], betas=(hyper["beta1"], hyper["beta2"]), eps=hyper["eps"],
                                    weight_decay=wd)
            if step > 1:
                opt.state[p] = {"step": torch.tensor(float(step - 1)), "exp_avg": m.clone(),
                                "exp_avg_sq": v.clone()}
            p.grad = grad.clone()
            opt.step()
            st = opt.state[p]
            w.write(name, "adamw", {**hyper, "weight_decay": wd, "step": step},
                    {"param": param, "grad": grad, "m": m, "v": v},
                    {"param": p.detach(), "m": st["exp_avg"], "v": st["exp_avg_sq"]}, {}, "none",
                    {"rtol": 1e-5, "atol": 1e-6})


MASK32 = 0xFFFFFFFF


def philox4x32_10(ctr, key):
    """Philox 4x32-10 (Random123) on Python integers."""
    c0, c1, c2, c3 = ctr
    k0, k1 = key
    for _ in range(10):
        p0 = 0xD2511F53 * c0
        p1 = 0xCD9E8D57 * c2
        c0, c1, c2, c3 = ((p1 >> 32) ^ c1 ^ k0) & MASK32, p1 & MASK32, ((p0 >> 32) ^ c3 ^ k1) & MASK32, p0 & MASK32
        k0 = (k0 + 0x9E3779B9) & MASK32
        k1 = (k1 + 0xBB67AE85) & MASK32
    return [c0, c1, c2, c3]


def gen_philox(w):
    assert philox4x32_10([0, 0, 0, 0], [0, 0]) == [0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]
    name = "philox_64.json"
    r = Rng(name)
    key = r.words(2).tolist()
    # A run's draws: counter (index, stream, 0, 0); stream 3 here.
    counters = [[i, 3, 0, 0] for i in range(64)]
    bits = [philox4x32_10(c, key) for c in counters]
    uniform = [[((b >> 8) + 0.5) * 2.0**-24 for b in row] for row in bits]
    w.write(name, "philox", {}, {"counter": (torch.tensor(counters), "u32"), "key": (torch.tensor(key), "u32")},
            {"bits": (torch.tensor(bits), "u32"), "uniform": torch.tensor(uniform)}, {}, "none",
            {"rtol": 0.0, "atol": 0.0})


def gen_layernorm(w):
    # (R, C, shift, std): unit rows, and rows with a large mean (E[x^2] - E[x]^2 would cancel catastrophically).
    for R, C, shift, std in [(4, 16, 0, 1.0), (9, 33, 0, 1.0), (32, 64, 0, 1.0), (4, 257, 50, 3.0)]:
        name = f"transformer/layernorm_{R}x{C}_s{shift}.json"
        r = Rng(name)
        x = leaf(r.normal(R, C, scale=std, shift=float(shift)))
        gamma = leaf(r.normal(C, scale=0.5, shift=1.0))
        beta = leaf(r.normal(C, scale=0.1))
        dy = r.normal(R, C)
        y = F.layer_norm(x, (C,), gamma, beta, eps=1e-5)
        g = grads_of((dy * y).sum(), {"x": x, "gamma": gamma, "beta": beta})
        # dgamma and dbeta sum R rows.
        w.write(name, "layernorm", {"eps": 1e-5}, {"x": x, "gamma": gamma, "beta": beta, "d_y": dy}, {"y": y}, g,
                "sum(d_y*y)", {"rtol": 3e-4, "atol": 3e-5 * math.sqrt(R)})


def gen_attention(w):
    for B, H, T, D in [(1, 1, 4, 8), (2, 2, 16, 8), (2, 4, 32, 16), (1, 2, 1, 8)]:
        for causal in (True, False):
            name = f"transformer/attention_{B}x{H}x{T}x{D}_{'causal' if causal else 'full'}.json"
            r = Rng(name)
            q, k, v = (leaf(r.normal(B, H, T, D)) for _ in range(3))
            dout = r.normal(B, H, T, D)
            s = q @ k.transpose(-1, -2) / math.sqrt(D)
            if causal:
                s = s.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), -math.inf)
            out = F.softmax(s, dim=-1) @ v
            g = grads_of((dout * out).sum(), {"q": q, "k": k, "v": v})
            # Gradients sum over T positions of D-long dot products.
            w.write(name, "attention", {"causal": causal}, {"q": q, "k": k, "v": v, "d_out": dout}, {"out": out}, g,
                    "sum(d_out*out)", {"rtol": 5e-4, "atol": 1e-4 * math.sqrt(T * D / 4)})


def gen_embedding(w):
    for V, E, N in [(10, 4, 8), (50, 16, 64)]:
        name = f"transformer/embedding_{V}x{E}_n{N}.json"
        r = Rng(name)
        table = leaf(r.normal(V, E))
        # Fewer distinct ids than rows, so the gradient's scatter-add meets repeated ids.
        ids = r.ints(N, max(2, V * 2 // 3))
        dy = r.normal(N, E)
        y = F.embedding(ids, table)
        w.write(name, "embedding", {}, {"table": table, "ids": (ids, "i32"), "d_y": dy}, {"y": y},
                grads_of((dy * y).sum(), {"table": table}), "sum(d_y*y)",
                {"rtol": 2e-4, "atol": 2e-5 * math.sqrt(N)})


GENERATORS = [gen_matmul, gen_linear, gen_activation, gen_row_norms, gen_cross_entropy, gen_sequence_logps,
              gen_preference_loss, gen_distill_loss, gen_mse, gen_diffusion_dpo_loss, gen_adamw, gen_philox,
              gen_layernorm, gen_attention, gen_embedding]


def known_answers():
    """OPS.md's hand-checked values: the formulas above must reproduce them before anything is written."""
    v = lambda *xs: torch.tensor(xs)  # noqa: E731
    pc, pr, rc, rr = v(-10.0), v(-12.0), v(-11.0), v(-11.5)
    want = {"sigmoid": (0.0, 0.6209570478), "robust": (0.1, 0.6022070478), "nca_pair": (0.0, 1.3508248141),
            "apo_zero": (0.0, 0.9625234160)}
    for loss_type, (eps, value) in want.items():
        got = preference_losses(loss_type, pc, pr, rc, rr, 0.1, eps, 0.0)[0].item()
        assert abs(got - value) < 1e-9, (loss_type, got, value)
    s, t, one = v(1.0, 0.0, -1.0).reshape(1, 3), v(0.0, 2.0, 0.0).reshape(1, 3), v(1.0)
    for (kind, beta, T, scale), value in [(("forward_kl", 0.0, 1.0, False), 0.7420332825),
                                          (("reverse_kl", 1.0, 1.0, False), 0.9176922423),
                                          (("jsd", 0.5, 1.0, False), 0.1879095011),
                                          (("forward_kl", 0.0, 2.0, True), 0.8197673659),
                                          (("jsd", 0.0, 1.0, False), 0.7420332825),
                                          (("jsd", 1.0, 1.0, False), 0.9176922423)]:
        got = distill_loss(kind, beta, s, t, one, T, scale).item()
        assert abs(got - value) < 1e-9, (kind, beta, got, value)


def generate(out):
    known_answers()
    w = Writer(out)
    for gen in GENERATORS:
        gen(w)
    return w.files


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=DEFAULT_OUT, help="folder to write (default: tests/fixtures)")
    ap.add_argument("--check", action="store_true", help="regenerate into a temporary folder and compare with --out")
    args = ap.parse_args()
    out = os.path.abspath(args.out)
    if not args.check:
        files = generate(out)
        print(f"wrote {len(files)} fixtures to {out} (torch {torch.__version__})")
        return 0
    tmp = tempfile.mkdtemp(prefix="preflab-oracle-")
    try:
        files = generate(tmp)
        differ = [f for f in files if not os.path.exists(os.path.join(out, f))
                  or not filecmp.cmp(os.path.join(tmp, f), os.path.join(out, f), shallow=False)]
        on_disk = {os.path.relpath(os.path.join(d, f), out) for d, _, fs in os.walk(out) for f in fs
                   if f.endswith(".json")}
        extra = sorted(on_disk - set(files))
        for f in differ:
            print(f"differs: {f}")
        for f in extra:
            print(f"not generated: {f}")
        print(f"{len(files) - len(differ)} of {len(files)} fixtures identical (torch {torch.__version__})")
        return 1 if differ or extra else 0
    finally:
        shutil.rmtree(tmp)


if __name__ == "__main__":
    sys.exit(main())
