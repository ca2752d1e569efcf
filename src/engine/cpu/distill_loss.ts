// CPU twin of shaders/distill_loss.wgsl: TRL GKD divergences at temperature T, masked mean over rows.

import type { DistillAttrs, DistillKind } from '../backend';
import type { F } from './types';

function logSoftmax(x: F, base: number, V: number, invT: number): Float64Array {
  let m = -Infinity;
  for (let j = 0; j < V; j++) m = Math.max(m, x[base + j] * invT);
  let s = 0;
  for (let j = 0; j < V; j++) s += Math.exp(x[base + j] * invT - m);
  const lse = m + Math.log(s);
  const out = new Float64Array(V);
  for (let j = 0; j < V; j++) out[j] = x[base + j] * invT - lse;
  return out;
}

function logAddExp(a: number, b: number): number {
  const m = Math.max(a, b);
  return m === -Infinity ? m : m + Math.log1p(Math.exp(-Math.abs(a - b)));
}

/** The divergence computed: TRL's generalized JSD is forward KL at beta = 0 and reverse KL at beta = 1, where the
 * mixture m would equal one of the two distributions and the JSD vanish. */
function distillDivergence(attrs: DistillAttrs): DistillKind {
  if (attrs.kind === 'jsd' && attrs.beta === 0) return 'forward_kl';
  if (attrs.kind === 'jsd' && attrs.beta === 1) return 'reverse_kl';
  return attrs.kind;
}

/** Log-probs of row r and the per-row divergence (plus, for jsd, log m and KL(ps||m)). */
function row(student: F, teacher: F, r: number, attrs: DistillAttrs) {
  const { V, beta } = attrs;
  const kind = distillDivergence(attrs);
  const invT = 1 / attrs.temperature;
  const ls = logSoftmax(student, r * V, V, invT);
  const lt = logSoftmax(teacher, r * V, V, invT);
  const lm = new Float64Array(V);
  let div = 0;
  let klSm = 0;
  for (let j = 0; j < V; j++) {
    const ps = Math.exp(ls[j]),
      pt = Math.exp(lt[j]);
    if (kind === 'forward_kl') div += pt * (lt[j] - ls[j]);
    else if (kind === 'reverse_kl') div += ps * (ls[j] - lt[j]);
    else {
      // m = beta pt + (1 - beta) ps in log space, 0 < beta < 1.
      lm[j] = logAddExp(Math.log(beta) + lt[j], Math.log(1 - beta) + ls[j]);
      const ks = ps * (ls[j] - lm[j]);
      div += beta * pt * (lt[j] - lm[j]) + (1 - beta) * ks;
      klSm += ks;
    }
  }
  return { ls, lt, lm, div, klSm };
}

function maskTotal(mask: F): number {
  let total = 0;
  for (let r = 0; r < mask.length; r++) total += mask[r];
  return total;
}

/** loss[0] = sum(mask * divergence) / sum(mask) (times T^2 with scaleT2); 0 when every row is masked out. */
export function distillLossForward(loss: F, student: F, teacher: F, mask: F, attrs: DistillAttrs): void {
  const total = maskTotal(mask);
  let acc = 0;
  for (let r = 0; r < attrs.R; r++) if (mask[r] !== 0) acc += mask[r] * row(student, teacher, r, attrs).div;
  const scale = attrs.scaleT2 ? attrs.temperature ** 2 : 1;
  loss[0] = total === 0 ? 0 : (scale * acc) / total;
}

/** Accumulates dstudent += d loss / d student logits (the 1/T of z = student/T and the T^2 scale included). */
export function distillLossBackward(dstudent: F, student: F, teacher: F, mask: F, attrs: DistillAttrs): void {
  const { R, V, beta, temperature: T } = attrs;
  const total = maskTotal(mask);
  if (total === 0) return;
  const scale = attrs.scaleT2 ? T * T : 1;
  const kind = distillDivergence(attrs);
  for (let r = 0; r < R; r++) {
    if (mask[r] === 0) continue;
    const { ls, lt, lm, div, klSm } = row(student, teacher, r, attrs);
    const coef = (scale * mask[r]) / (T * total);
    for (let j = 0; j < V; j++) {
      const ps = Math.exp(ls[j]);
      let g: number;
      if (kind === 'forward_kl') g = ps - Math.exp(lt[j]);
      else if (kind === 'reverse_kl') g = ps * (ls[j] - lt[j] - div);
      else g = (1 - beta) * ps * (ls[j] - lm[j] - klSm);
      dstudent[r * V + j] += coef * g;
    }
  }
}
