// The DPO family on the text world's own pairs: every preference_loss type on the log-probs of the responses (the
// prompt's tokens are context, masked out of the sum; length-averaged where the loss calls for it), against the
// reference, a frozen copy of the policy at stage start. Pairs are drawn with the stage's Philox stream; the whole
// step runs on the device.

import type { Program, Tensor } from '../../engine/backend';
import { preferenceLossOf } from '../../engine/preference_losses';
import type { PreferenceStage } from '../config';
import { PREFERENCE_STEP_METRICS, type MetricValues } from '../metrics';
import { preferenceOutputs } from '../preference-outputs';
import { RecordedStage, type TextSnapshot } from '../stage';
import { STAGE_OFFSET } from '../streams';
import { keyOf } from './sequence-kit';
import type { TextRun } from './text-run';
import { TextEval } from './text-eval';

export class TextPreferenceStageRunner extends RecordedStage {
  private program: Program | null = null;
  private eval!: TextEval;

  constructor(
    private readonly run: TextRun,
    private readonly stage: PreferenceStage,
    index: number,
  ) {
    super(run.be, run.cfg, stage, index, PREFERENCE_STEP_METRICS);
  }

  private async start(): Promise<() => void> {
    const { be, data, device, cfg } = this.run;
    const { T, V } = data;
    const st = this.stage;
    const pairs = device.pairs!;
    const N = pairs.N;
    const B = st.batch;
    const lm = this.run.models.get(st.model!)!;
    const seq = { B, T, V, average: preferenceLossOf(st.lossType).averaged };
    lm.arena.resetMoments(); // each stage starts its own optimizer
    // The reference: a frozen copy of the policy as it is now; its log-probs of every pair are computed once.
    const refFlat = this.tensor([lm.arena.length], 'reference');
    be.copy(refFlat, lm.arena.params);
    const refSet: [Tensor, Tensor] = [
      this.tensor([N], 'reference_chosen_set'),
      this.tensor([N], 'reference_rejected_set'),
    ];
    const all = lm.pass(N, `${this.name}:reference_set`, false);
    be.run(
      be.record(`${this.name}:reference_set`, () => {
        lm.forward(all, pairs.chosen, refFlat);
        be.sequenceLogpsForward(refSet[0], all.logits, pairs.chosen, pairs.chosenMask, { ...seq, B: N });
        lm.forward(all, pairs.rejected, refFlat);
        be.sequenceLogpsForward(refSet[1], all.logits, pairs.rejected, pairs.rejectedMask, { ...seq, B: N });
      }),
    );
    await be.sync();

    const pick = this.tensor([B], 'pick', 'i32'); // [B] pairs
    const ct = this.tensor([B, T], 'chosen', 'i32');
    const cm = this.tensor([B, T], 'chosen_mask');
    const rt = this.tensor([B, T], 'rejected', 'i32');
    const rm = this.tensor([B, T], 'rejected_mask');
    const rc = this.tensor([B], 'reference_chosen_logps');
    const rr = this.tensor([B], 'reference_rejected_logps');
    const pc = this.tensor([B], 'policy_chosen_logps');
    const pr = this.tensor([B], 'policy_rejected_logps');
    const wc = lm.pass(B, `${this.name}:policy_chosen`, true);
    const wr = lm.pass(B, `${this.name}:policy_rejected`, true);
    const { out, grads: dLogps } = preferenceOutputs(be, B, (shape, label) => this.tensor(shape, label));
    this.eval = this.own(new TextEval(this.run, lm, this.name, st.model!, this.stream(STAGE_OFFSET.sample)));
    const key = keyOf(cfg.seed, this.stream(STAGE_OFFSET.batch));
    const log = (slot: number, a: Tensor, b: Tensor | null = null, mode: 'mean' | 'diff' | 'greater' = 'mean') =>
      be.logMetric(this.history, a, b, this.clock, this.at(slot, mode));

    return () => {
      be.tick(this.clock);
      be.random(pick, this.clock, { kind: 'index', n: N, ...key });
      be.embeddingForward(ct, pairs.chosen, pick, T); // [B, T]
      be.embeddingForward(cm, pairs.chosenMask, pick, T);
      be.embeddingForward(rt, pairs.rejected, pick, T);
      be.embeddingForward(rm, pairs.rejectedMask, pick, T);
      be.embeddingForward(rc, refSet[0], pick, 1); // [B]
      be.embeddingForward(rr, refSet[1], pick, 1);
      lm.forward(wc, ct);
      lm.forward(wr, rt);
      be.sequenceLogpsForward(pc, wc.logits, ct, cm, seq);
      be.sequenceLogpsForward(pr, wr.logits, rt, rm, seq);
      be.fill(dLogps, 0); // preference_loss accumulates its gradient
      be.preferenceLoss(
        out,
        { policyChosenLogps: pc, policyRejectedLogps: pr, referenceChosenLogps: rc, referenceRejectedLogps: rr },
        { lossType: st.lossType, beta: st.beta, labelSmoothing: st.labelSmoothing, gamma: st.gamma },
      );
      // Backward, in exact reverse order, into gradients zeroed by one fill (plus the passes' activation grads).
      lm.arena.zeroGrad();
      lm.zero(wc);
      lm.zero(wr);
      be.sequenceLogpsBackward(wr.dlogits!, out.dPolicyRejected, wr.logits, rt, rm, seq);
      be.sequenceLogpsBackward(wc.dlogits!, out.dPolicyChosen, wc.logits, ct, cm, seq);
      lm.backward(wr);
      lm.backward(wc);
      lm.arena.step(this.clock, st.optimizer);
      // Metrics, in PREFERENCE_STEP_METRICS order.
      log(0, out.losses);
      log(1, out.chosenRewards);
      log(2, out.rejectedRewards);
      log(3, out.chosenRewards, out.rejectedRewards, 'diff');
      log(4, out.chosenRewards, out.rejectedRewards, 'greater');
      log(5, pc);
      log(6, pr);
    };
  }

  private async started(): Promise<Program> {
    this.program ??= this.be.record(`${this.name}:step`, await this.start());
    return this.program;
  }

  protected async replay(n: number): Promise<void> {
    this.be.run(await this.started(), n);
  }

  protected async periodMetrics(): Promise<MetricValues> {
    await this.started();
    return this.eval.metrics();
  }

  async snapshot(): Promise<TextSnapshot> {
    await this.started();
    return this.eval.snapshot(this.done, this.period, this.steps);
  }
}
