// Knowledge distillation on the sequences world: a student learns the frozen teacher's next-token distributions
// (distill_loss forward KL / reverse KL / JSD at a temperature, optionally mixed with hard-label cross-entropy), on
// fixed sequences (oracle samples or teacher samples drawn at stage start) or on sequences the student samples
// itself each step (on-policy, as in GKD). The whole step runs on the device.

import type { Tensor } from '../../engine/backend';
import type { DistillStage } from '../config';
import type { SequencesSnapshot } from '../stage';
import { STAGE_OFFSET } from '../streams';
import { agreement, Sampler, SeqBatch, tokenStats, type TokenStats } from './sequence-kit';
import { LmEval, lmSnapshot, Probe, SequenceStage, type LmReport, type SequenceRun } from './sequence-stage';
import type { MetricValues } from '../metrics';

export const DISTILL_STEP_METRICS = ['loss'] as const;

export class DistillStageRunner extends SequenceStage {
  private eval!: LmEval;
  private teacherProbe!: Probe;
  private teacherHeld: TokenStats | null = null;
  private last: LmReport | null = null;

  constructor(
    run: SequenceRun,
    private readonly stage: DistillStage,
    index: number,
  ) {
    super(run, stage, index, DISTILL_STEP_METRICS);
  }

  /** The fixed sequences of offline distillation: the oracle's, or the teacher's sampled once now. */
  private async offlineData(): Promise<{ tokens: Tensor; mask: Tensor; N: number }> {
    const { be, world, data } = this.run;
    const N = data.world.samples;
    if (this.stage.source === 'oracle') return { tokens: world.train, mask: world.trainMask, N };
    const teacher = this.model(this.stage.teacher);
    const set = new SeqBatch(be, world, N, `${this.name}:teacher_samples`);
    this.onRelease(() => set.release());
    const sampler = new Sampler(be, teacher, N, `${this.name}:teacher_sampler`);
    const clock = this.tensor([1], 'generate_clock', 'u32');
    be.run(
      be.record(`${this.name}:generate`, () =>
        sampler.issue(set, teacher.arena.params, clock, this.key(STAGE_OFFSET.generate)),
      ),
    );
    await be.sync();
    sampler.release();
    return { tokens: set.tokens, mask: set.mask, N };
  }

  protected async start(): Promise<() => void> {
    const { be, world, data } = this.run;
    const { T, V } = data;
    const st = this.stage;
    const student = this.model(st.model);
    const teacher = this.model(st.teacher);
    const B = st.batch;
    const R = B * T;
    student.arena.resetMoments(); // each stage starts its own optimizer
    const batch = new SeqBatch(be, world, B, `${this.name}:batch`);
    this.onRelease(() => batch.release());
    const sPass = student.pass(B, `${this.name}:student`, true); // logits [B*T, V]
    const tPass = teacher.pass(B, `${this.name}:teacher`, false); // logits [B*T, V]
    const kd = this.tensor([1], 'divergence');
    const attrs = { R, V, kind: st.divergence, beta: st.beta, temperature: st.temperature, scaleT2: st.scaleT2 };
    // Hard labels: the divergence's gradient goes to its own buffer, then is mixed in with weight 1 - alpha.
    const mixed =
      st.alpha > 0
        ? {
            dkd: this.tensor([R, V], 'd_divergence'),
            ce: this.tensor([1], 'cross_entropy'),
            total: this.tensor([1], 'loss'),
          }
        : null;

    let draw: () => void;
    if (st.data === 'on_policy') {
      const sampler = new Sampler(be, student, B, `${this.name}:sampler`);
      this.onRelease(() => sampler.release());
      const key = this.key(STAGE_OFFSET.sample);
      draw = () => sampler.issue(batch, student.arena.params, this.clock, key);
    } else {
      const src = await this.offlineData();
      const pick = this.tensor([B], 'pick', 'i32'); // [B] rows of the dataset
      const key = this.key(STAGE_OFFSET.batch);
      draw = () => {
        be.random(pick, this.clock, { kind: 'index', n: src.N, ...key });
        be.embeddingForward(batch.tokens, src.tokens, pick, T); // [B, T]
        be.embeddingForward(batch.mask, src.mask, pick, T); // [B, T]
      };
    }

    this.eval = new LmEval(
      be,
      this.run,
      student,
      this.key(STAGE_OFFSET.evalSample),
      `${this.name}:eval`,
      this.tensor.bind(this),
      this.onRelease.bind(this),
    );
    this.teacherProbe = new Probe(be, teacher, teacher.arena.params, this.eval.held, `${this.name}:teacher_held`);

    return () => {
      be.tick(this.clock);
      draw();
      teacher.forward(teacher.arena.params, batch, tPass);
      student.forward(student.arena.params, batch, sPass);
      student.arena.zeroGrad();
      student.zeroPass(sPass);
      const dout = sPass.dout!; // [B*T, V]
      if (mixed) {
        be.fill(mixed.dkd, 0);
        be.distillLoss(kd, mixed.dkd, sPass.out, tPass.out, batch.mask, attrs);
        be.crossEntropyForward(mixed.ce, sPass.out, batch.tokens, batch.mask, { R, V });
        be.crossEntropyBackward(dout, sPass.out, batch.tokens, batch.mask, { R, V, scale: st.alpha });
        be.axpby(dout, mixed.dkd, 1 - st.alpha, 1);
        be.copy(mixed.total, kd);
        be.axpby(mixed.total, mixed.ce, st.alpha, 1 - st.alpha);
      } else {
        be.distillLoss(kd, dout, sPass.out, tPass.out, batch.mask, attrs);
      }
      student.backward(sPass);
      student.arena.step(this.clock, st.optimizer);
      this.logMetric(0, mixed ? mixed.total : kd);
    };
  }

  protected async periodMetrics(): Promise<MetricValues> {
    const { be, data } = this.run;
    if (!this.teacherHeld) {
      // The teacher is frozen here: its held-out logits are computed once.
      be.run(be.record(`${this.name}:teacher_eval`, () => this.teacherProbe.issue()));
      const logits = await this.teacherProbe.read();
      this.teacherHeld = tokenStats(logits, data.heldout, data.heldoutMask, data.world.heldout, data.T, data.V);
    }
    this.last = await this.eval.report();
    return {
      ...this.last.metrics,
      'nll/teacher': this.teacherHeld.nll,
      'kd/agreement': agreement(this.last.held.argmax, this.teacherHeld.argmax, data.heldoutMask),
    };
  }

  async snapshot(): Promise<SequencesSnapshot> {
    await this.started();
    this.last ??= await this.eval.report();
    return lmSnapshot(this.name, this.stage.model, this.run.data, this.last);
  }
}
