// README.md of a PyTorch export: what the folder holds, how to run and check it, and how its numbers match PrefLab's.

import { totalSteps, type ExperimentConfig } from '../config';
import { CHECK } from './support-py';

export function exportReadme(cfg: ExperimentConfig, steps: number, backend: 'cpu' | 'webgpu'): string {
  const title = cfg.title ? `: ${cfg.title}` : '';
  const stages = cfg.stages
    .map(
      (s) =>
        `- \`${s.name}\`: ${s.kind}${'lossType' in s ? ` (${s.lossType})` : ''}, ${s.steps} steps, batch ${s.batch}`,
    )
    .join('\n');
  return `# A PrefLab run in PyTorch${title}

A ${cfg.world.kind} experiment exported from PrefLab as a plain PyTorch project (seed ${cfg.seed}, ${totalSteps(cfg)} steps):

${stages}

It needs Python 3 with PyTorch and NumPy (Debian and Ubuntu: \`apt-get install python3-torch\`; elsewhere
\`pip install torch numpy\`). Nothing else: the safetensors files are read without the \`safetensors\` package.

## Run it

\`\`\`sh
python3 train.py --check     # replay the first ${steps} steps and compare every metric with PrefLab's
python3 train.py             # the whole experiment: out/metrics.jsonl and out/metrics.csv
python3 train.py --device cuda --out runs/first   # on a GPU (or --device mps), metrics elsewhere
python3 train.py --pairs 100000 --batch 1024 --steps 5000 --out runs/big   # the same experiment, larger
\`\`\`

\`--check\` prints one line, \`reproduced: N rows, worst relative difference X (metric, stage step S)\` and exits 0,
or \`drifted: ...\` naming the first metric and step that differ and exits 1. A metric agrees when
|ours − PrefLab's| ≤ ${CHECK.tolerance} · max(|PrefLab's|, ${CHECK.floor}). Both sides compute in float32 and differ by rounding that
training carries along: about 1e-5 over the first 50 steps of PrefLab's bandit presets, 3e-5 over 600. A wrong
formula or gradient moves the metrics far more. A large beta with a large learning rate (a saturated sigmoid, Adam's
steps of lr) amplifies rounding: there export fewer steps to replay (\`lab export --steps\`). The shares of pairs
(\`rewards/accuracies\`, \`ranking/accuracy\`) count pairs whose two values are equal to float32 resolution
(within ${CHECK.tie} · (1 + |a| + |b|)) as ties that either side may rank either way: PrefLab's share must lie within the
range those ties allow. Right after the first AdamW step many pairs tie, since that step moves every logit it touches
by the same lr.

Where no two implementations agree: AdamW's first step on a weight is about lr · g / (|g| + eps), so a first
gradient not well above eps (1e-8) has its step set by g's last bits. A batch that holds a pair and the same pair
reversed (a high label flip rate over a few likely responses) gives such gradients, which cancel but for rounding,
and rounding differs between any two implementations: the step it sets is a sizeable share of lr. There
\`--check\` reports drift and names the step where AdamW first moved weights on a gradient below 100 · eps.

The metric files have PrefLab's columns and metric names (its CSV and JSON-lines export), so a run here can be
compared with the browser's.

## The files

- \`train.py\`: the experiment, written to be read and edited: the world, the table policy, the DPO-family losses
  (TRL's \`dpo_loss\` conventions), the metrics, and the training loop with torch autograd and
  \`torch.optim.AdamW\` (a new optimizer per stage, as PrefLab starts each stage's).
- \`preflab.py\`: plumbing: the format check of \`config.json\`, a safetensors reader, PrefLab's Philox streams,
  the \`--check\` comparison and the metric writers.
- \`config.json\`: what train.py reads (\`stages\`, with each loss's settings and the Philox stream of its batches)
  and \`experiment\`, the PrefLab config itself (saved alone as a file, \`npm run lab -- run\` runs it).
  train.py refuses a \`config.json\` of another export format \`version\`.
- \`world.safetensors\`: the bandit's data: \`reward\` [P, K] float64 (the hidden true reward), the offline pairs
  \`prompt\`, \`chosen\`, \`rejected\` [N] int32, \`alpha\` [N] float64 (the true probability that the chosen
  response is preferred, before label flips) and \`covered\` [P, K] uint8 (responses that appear in the pairs).
- \`init.safetensors\`: the initial weights: \`policy.logits\` [P, K] float32, the table the policy trains
  (pi(y | x) = softmax(logits[x])[y]), and \`reference.logits\` [P, K] float32, the frozen reference. The policy
  starts at the reference.
- \`expected.jsonl\`: PrefLab's metrics of the first ${steps} steps, one row per step, computed by its engine on
  ${backend === 'cpu' ? 'its CPU backend' : 'WebGPU'}.

## Same data, step for step

Every random draw of a PrefLab run is Philox 4x32-10 of (counter, key) = ((index, stream, step, 0), (seed, 0)).
preflab.py implements the same function (checked against Random123's known answer on import), and train.py draws
each step's batch of pair indices from the stage's stream (\`batch_stream\` in \`config.json\`), word i of
step s giving index floor(u · N) with u = (2 (bits >> 8) + 1) / 2^25. So every step, not only the first ${steps},
sees the batch PrefLab's run sees. The world's data was drawn by PrefLab and is read from \`world.safetensors\`.

## Scale it up

\`--prompts\`, \`--responses\` and \`--pairs\` draw the world again at those sizes with \`generate_bandit\` in
train.py, PrefLab's own generator (from the same seed and streams it draws \`world.safetensors\` bit for bit); the
policy then starts at the new reference. \`--batch\` and \`--steps\` set every stage's batch and steps. A scaled
run is an experiment of its own: \`--check\` refuses the knobs.

## Many processes

\`\`\`sh
torchrun --standalone --nproc_per_node 2 train.py                  # CPU processes (gloo)
torchrun --standalone --nproc_per_node 8 train.py --device cuda    # a GPU per process (nccl)
\`\`\`

Each process trains on a contiguous share of every batch, so the global batch of \`config.json\` is kept;
DistributedDataParallel averages the gradients and the batch metrics add up every share, so N processes give the
metrics of one (\`torchrun ... train.py --check\` checks them against PrefLab's). Debian 12's torch 1.13 on Python
3.11 cannot parse torchrun's own default for \`--redirects\` and \`--tee\`: there add \`--redirects 2 --tee 2\`.

## Not here yet

TRL's trainers are not part of this export yet. The bandit's policy is its table, so it has no width or depth
to scale.
`;
}
