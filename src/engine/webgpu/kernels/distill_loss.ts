// Encoder for shaders/distill_loss.wgsl: per-row divergences (+ gradient), then one workgroup for the masked mean.

import { DISTILL_KINDS, type DistillAttrs, type Tensor } from '../../backend';
import { packParams, type GpuContext } from '../context';
import { WG, rowLaunch } from './rows';

export function distillLoss(
  ctx: GpuContext,
  loss: Tensor,
  dstudent: Tensor | null,
  student: Tensor,
  teacher: Tensor,
  mask: Tensor,
  attrs: DistillAttrs,
): void {
  const { R, V } = attrs;
  const KIND = DISTILL_KINDS.indexOf(attrs.kind);
  if (KIND < 0) throw new Error(`distill_loss: unknown kind "${attrs.kind}"`);
  const T = attrs.temperature;
  const params = packParams([
    ['u32', R],
    ['u32', V],
    ['f32', 1 / T],
    ['f32', attrs.beta],
    ['f32', attrs.scaleT2 ? T * T : 1],
  ]);
  // [R] masked row divergences, then the gradient coefficient at [R].
  const scratch = ctx.scratch('distill_loss', R + 1);
  const single = { WG, TPR: WG };
  const launch = rowLaunch(R, V);
  const rowConstants = { ...launch.constants, KIND };
  if (dstudent) {
    ctx.dispatch({
      shader: 'distill_loss',
      entry: 'norm',
      constants: single,
      params,
      bindings: [scratch, mask],
      workgroups: [1],
    });
    ctx.dispatch({
      shader: 'distill_loss',
      entry: 'rows_grad',
      constants: rowConstants,
      params,
      bindings: [student, teacher, mask, scratch, dstudent],
      workgroups: launch.workgroups,
    });
  } else {
    ctx.dispatch({
      shader: 'distill_loss',
      entry: 'rows',
      constants: rowConstants,
      params,
      bindings: [student, teacher, mask, scratch],
      workgroups: launch.workgroups,
    });
  }
  ctx.dispatch({
    shader: 'distill_loss',
    entry: 'finish',
    constants: single,
    params,
    bindings: [loss, scratch, mask],
    workgroups: [1],
  });
}
