// preflab.py of a PyTorch export: the plumbing train.py leans on (the export's format check, a safetensors
// reader, Philox 4x32-10, the --check comparison and the metric writers), kept out of train.py so that it reads as
// the experiment. String.raw keeps Python's backslashes as written.

/**
 * --check's tolerances: a metric agrees when |ours - PrefLab's| <= tolerance * max(|PrefLab's|, floor); in a share
 * of pairs, two values within tie * (1 + |a| + |b|) of each other are a tie either side may rank either way.
 */
export const CHECK = { tolerance: 1e-3, floor: 1e-2, tie: 1e-5 } as const;

export const SUPPORT_PY = String.raw`"""Plumbing of a PrefLab PyTorch export: its format check, a safetensors reader, PrefLab's Philox random
streams, the --check comparison with expected.jsonl and the metric writers. train.py holds the experiment."""

import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.distributed

EXPORT_FORMAT = "preflab-torch-export"
EXPORT_VERSION = 1

# --check: a metric agrees with PrefLab's when |ours - PrefLab's| <= TOLERANCE * max(|PrefLab's|, FLOOR). Both
# sides compute in float32 (PrefLab's CPU backend rounds every stored value to float32; torch computes in it), so
# they differ by rounding that training carries along: about 1e-5 over the first 50 steps of the bandit presets.
# A large beta with a large learning rate amplifies it (a saturated sigmoid): replay fewer steps there.
TOLERANCE = ${CHECK.tolerance}
FLOOR = ${CHECK.floor}
# A share of pairs (rewards/accuracies, ranking/accuracy) counts pairs whose two values differ by less than float32
# resolution as ties that either side may rank either way: PrefLab's value must lie within what those ties allow.
# Two values tie when they differ by at most TIE * (1 + |a| + |b|).
TIE = ${CHECK.tie}


def load_config(path):
    """config.json of the export, refused unless this train.py reads its format version."""
    with open(path) as f:
        cfg = json.load(f)
    if cfg.get("format") != EXPORT_FORMAT:
        sys.exit(f"{path}: not a PrefLab PyTorch export (format is {cfg.get('format')!r}, not {EXPORT_FORMAT!r})")
    if cfg.get("version") != EXPORT_VERSION:
        sys.exit(
            f"{path}: export format version {cfg.get('version')!r}, but this train.py reads version "
            f"{EXPORT_VERSION}: export the run again to get a train.py that matches it"
        )
    return cfg


SAFETENSORS_DTYPES = {"F64": "<f8", "F32": "<f4", "I32": "<i4", "U8": "u1"}


def read_safetensors(path):
    """Every tensor of a .safetensors file by name: 8 bytes of header length (little-endian u64), a JSON header
    giving each tensor's dtype, shape and byte range, then the raw little-endian data."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8 : 8 + n])
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype = np.dtype(SAFETENSORS_DTYPES[info["dtype"]])
        begin, end = info["data_offsets"]
        array = np.frombuffer(blob, dtype=dtype, count=(end - begin) // dtype.itemsize, offset=8 + n + begin)
        tensors[name] = torch.from_numpy(array.reshape(info["shape"]).astype(dtype.newbyteorder("=")))
    return tensors


# ---- Philox 4x32-10 (Salmon et al. 2011), as PrefLab draws every random number ----

U64 = np.uint64
PHILOX_M0, PHILOX_M1 = U64(0xD2511F53), U64(0xCD9E8D57)
PHILOX_W0, PHILOX_W1 = 0x9E3779B9, 0xBB67AE85
LOW32 = U64(0xFFFFFFFF)


def philox4x32(counter, key):
    """Philox 4x32-10 of counters [n, 4] (uint32 values held in uint64) under key (k0, k1): words [n, 4]."""
    x0, x1, x2, x3 = (counter[:, i].astype(U64) for i in range(4))
    k0, k1 = key
    for _ in range(10):
        p0 = PHILOX_M0 * x0  # < 2^64: exact in uint64
        p1 = PHILOX_M1 * x2
        x0, x1, x2, x3 = (p1 >> U64(32)) ^ x1 ^ U64(k0), p1 & LOW32, (p0 >> U64(32)) ^ x3 ^ U64(k1), p0 & LOW32
        k0 = (k0 + PHILOX_W0) & 0xFFFFFFFF
        k1 = (k1 + PHILOX_W1) & 0xFFFFFFFF
    return np.stack([x0, x1, x2, x3], axis=1)


# The known answer (Random123): counter 0, key 0.
assert philox4x32(np.zeros((1, 4), U64), (0, 0)).tolist() == [[0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8]]


def philox_indices(seed, stream, step, n, count):
    """count draws in [0, n): draw i is word i % 4 of Philox(counter (i // 4, stream, step, 0), key (seed low
    32 bits, seed high 32 bits)), scaled as floor(u n) with u = (2 (bits >> 8) + 1) / 2^25, exact in integers."""
    blocks = (count + 3) // 4
    counter = np.zeros((blocks, 4), dtype=U64)
    counter[:, 0] = np.arange(blocks, dtype=U64)
    counter[:, 1] = stream
    counter[:, 2] = step
    bits = philox4x32(counter, (seed & 0xFFFFFFFF, seed >> 32)).reshape(-1)[:count]
    return ((U64(2) * (bits >> U64(8)) + U64(1)) * U64(n)) >> U64(25)


class PhiloxStream:
    """A host-side stream of draws, as PrefLab's world generators take them: word after word of Philox(counter
    (index, stream, 0, 0), key (seed low 32 bits, seed high 32 bits)) for index = 0, 1, 2, ..."""

    CHUNK = 4096  # counters computed at once

    def __init__(self, seed, stream):
        self.key, self.stream, self.index, self.words, self.used = (seed & 0xFFFFFFFF, seed >> 32), stream, 0, [], 0

    def next_u32(self):
        if self.used == len(self.words):
            counter = np.zeros((self.CHUNK, 4), dtype=U64)
            counter[:, 0] = np.arange(self.index, self.index + self.CHUNK, dtype=U64)
            counter[:, 1] = self.stream
            self.words, self.used = philox4x32(counter, self.key).reshape(-1).tolist(), 0
            self.index += self.CHUNK
        self.used += 1
        return self.words[self.used - 1]

    def uniform(self):
        """In (0, 1): ((bits >> 8) + 0.5) 2^-24."""
        return ((self.next_u32() >> 8) + 0.5) * 2.0**-24

    def normal(self):
        """Box-Muller from two uniforms: sqrt(-2 ln u1) cos(2 pi u2)."""
        u1 = self.uniform()
        u2 = self.uniform()
        return math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)

    def int(self, n):
        """In [0, n): floor(u n)."""
        return min(n - 1, math.floor(self.uniform() * n))


# ---- shares of pairs, with their ties ----


def greater_counts(a, b):
    """How many a > b, as float64 [3]: the count, and the least and most it may be when ties go either way."""
    a, b = a.double(), b.double()
    tie = (a - b).abs() <= TIE * (1 + a.abs() + b.abs())
    greater = a > b
    return torch.stack([greater.sum(), (greater & ~tie).sum(), (greater | tie).sum()]).double()


# ---- AdamW steps that rounding decides ----


def rounding_level_first_steps(optimizer, factor=100):
    """Entries this AdamW step moves for the first time on a gradient below factor x its eps. There the step,
    about lr * g / (|g| + eps), follows g's last bits, and float rounding may set them: a batch holding a pair and
    the same pair reversed, for example, gives gradients that cancel but for rounding. Call before the step."""
    count = 0
    for group in optimizer.param_groups:
        for p in group["params"]:
            if p.grad is None:
                continue
            v = optimizer.state.get(p, {}).get("exp_avg_sq")
            fresh = torch.ones_like(p, dtype=torch.bool) if v is None else v == 0
            g = p.grad.abs()
            count += int((fresh & (g > 0) & (g < factor * group["eps"])).sum())
    return count


# ---- the processes of a run ----


class Processes:
    """The processes torchrun started (its RANK, LOCAL_RANK and WORLD_SIZE), or this one alone. Each takes a
    contiguous share of every batch and sums over a batch add up every share, so N processes train on the same
    global batch as one."""

    def __init__(self, device):
        self.rank, self.local_rank, self.size = 0, 0, 1
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:
            torch.distributed.init_process_group("nccl" if device.type == "cuda" else "gloo")
            self.rank, self.size = torch.distributed.get_rank(), torch.distributed.get_world_size()
            self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))

    def share(self, items):
        n = len(items)
        return items[n * self.rank // self.size : n * (self.rank + 1) // self.size]

    def total(self, x):
        """x summed over every process (in place)."""
        if self.size > 1:
            torch.distributed.all_reduce(x)
        return x

    def close(self):
        if self.size > 1:
            torch.distributed.destroy_process_group()


# ---- --check ----


def difference(ours, theirs, allowed=None):
    """How far our value is from PrefLab's, relative to max(|PrefLab's|, FLOOR); 0 inside a share's tie range."""
    if theirs is None:  # JSON has no NaN or infinity: PrefLab writes a non-finite value as null
        theirs = math.nan
    if not (math.isfinite(ours) and math.isfinite(theirs)):
        return 0.0 if (ours == theirs or (math.isnan(ours) and math.isnan(theirs))) else math.inf
    if allowed is not None and allowed[0] <= theirs <= allowed[1]:
        return 0.0
    return abs(ours - theirs) / max(abs(theirs), FLOOR)


def check(rows, ranges, expected_path, fragile=()):
    """Compare every metric of every row of expected.jsonl with ours, row by row (ranges[i] holds the tie ranges
    of row i's shares; fragile lists (row index, entries) of rounding_level_first_steps); print one line and return
    the exit status."""
    with open(expected_path) as f:
        expected = [json.loads(line) for line in f if line.strip()]
    worst = (0.0, "-", "-")
    first_drift = None
    if len(rows) != len(expected):
        print(f"drifted: train.py logged {len(rows)} rows, expected.jsonl has {len(expected)}")
        return 1
    for index, (got, want, allowed) in enumerate(zip(rows, expected, ranges)):
        where = f"{want['stage']} step {want['step']}"
        if (got["stage"], got["step"]) != (want["stage"], want["step"]):
            print(f"drifted: expected.jsonl has {where} where train.py logged {got['stage']} step {got['step']}")
            return 1
        names = sorted(set(want) - {"stage", "step"})
        extra = sorted(set(got) - set(want))
        if extra:
            print(f"drifted: at {where} train.py logs {', '.join(extra)}, which PrefLab did not")
            return 1
        for name in names:
            if name not in got:
                print(f"drifted: at {where} PrefLab logged {name} and train.py did not")
                return 1
            d = difference(got[name], want[name], allowed.get(name))
            if d > worst[0]:
                worst = (d, name, where)
            if d > TOLERANCE and first_drift is None:
                theirs = "not finite" if want[name] is None else repr(want[name])
                first_drift = f"first at {where}: {name} is {got[name]!r} here, {theirs} in PrefLab"
                before = [(i, n) for i, n in fragile if i <= index]
                if before:
                    i, n = before[0]
                    entries = "1 entry" if n == 1 else f"{n} entries"
                    first_drift += (
                        f" (at {rows[i]['stage']} step {rows[i]['step']}, AdamW first moved {entries} on a gradient"
                        " at rounding level, where rounding decides its step: see README.md)"
                    )
    summary = f"{len(expected)} rows, worst relative difference {worst[0]:.2e} ({worst[1]}, {worst[2]})"
    if first_drift is None:
        print(f"reproduced: {summary}, within the float32 tolerance {TOLERANCE:g}")
        return 0
    print(f"drifted: {summary}, over the float32 tolerance {TOLERANCE:g}; {first_drift}")
    return 1


# ---- metric files PrefLab reads back (the columns of its CSV and JSON-lines export) ----


def write_metrics(rows, columns, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "metrics.jsonl"), "w") as f:
        for r in rows:
            f.write(json.dumps({c: r[c] for c in columns if c in r}) + "\n")
    with open(os.path.join(out_dir, "metrics.csv"), "w") as f:
        f.write(",".join(columns) + "\n")
        for r in rows:
            f.write(",".join(csv_cell(r.get(c)) for c in columns) + "\n")


def csv_cell(x):
    if x is None:
        return ""
    if isinstance(x, str):
        return '"' + x.replace('"', '""') + '"' if any(ch in x for ch in ',"\n\r') else x
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "Infinity" if x > 0 else "-Infinity"
    return repr(x)
`;
