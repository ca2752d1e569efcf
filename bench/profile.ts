// --profile: per-kernel GPU time of our training steps from timestamp queries (Node/Dawn, unquantized timestamps).

import type { WebGPUBackend } from '../src/engine/webgpu/backend';
import { distillStep, diffusionStep, dpoStep, type Step } from './ours';
import { DPO_SIZES } from './problems';

export interface KernelTime {
  kernel: string;
  calls: number;
  ms: number;
  share: number;
}

/** Group timed dispatches by kernel (shader:entry and its override constants), largest total first. */
export function topKernels(timed: readonly { label: string; ns: number }[], top = 10): KernelTime[] {
  const total = timed.reduce((s, t) => s + t.ns, 0) || 1;
  const by = new Map<string, { calls: number; ns: number }>();
  for (const t of timed) {
    const kernel = t.label.replace(/^pipeline:/, '');
    const e = by.get(kernel) ?? { calls: 0, ns: 0 };
    e.calls++;
    e.ns += t.ns;
    by.set(kernel, e);
  }
  return [...by.entries()]
    .map(([kernel, e]) => ({ kernel, calls: e.calls, ms: e.ns / 1e6, share: e.ns / total }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, top);
}

/** Profile a few steps of each training case and format the top kernels. */
export async function profileSteps(be: WebGPUBackend, steps = 5): Promise<string> {
  if (!be.info.features.includes('timestamp-query')) return 'profile: this adapter has no timestamp-query';
  const cases: [string, () => Step][] = [
    ...DPO_SIZES.map((s) => [`dpo step ${s.name}`, () => dpoStep(be, s)] as [string, () => Step]),
    ['distill step', () => distillStep(be)],
    ['diffusion step', () => diffusionStep(be)],
  ];
  const out: string[] = [];
  for (const [name, make] of cases) {
    const step = make();
    try {
      be.run(step.program, 1); // warm-up
      await be.sync();
      be.ctx.startProfile(step.program.dispatches * steps);
      be.run(step.program, steps);
      const timed = await be.ctx.stopProfile();
      const totalMs = timed.reduce((s, t) => s + t.ns, 0) / 1e6 / steps;
      out.push(`profile ${name}: ${step.program.dispatches} dispatches, ${totalMs.toFixed(2)} ms GPU per step`);
      for (const k of topKernels(timed)) {
        out.push(
          `  ${(k.share * 100).toFixed(1).padStart(5)}%  ${(k.ms / steps).toFixed(3).padStart(8)} ms/step  ` +
            `${String(k.calls / steps).padStart(3)}x  ${k.kernel}`,
        );
      }
    } finally {
      step.release();
    }
  }
  return out.join('\n');
}
