// The named models of a sequences run, one entry per model kind: its schema, and the sizes the memory estimate
// reads, computed by the model's own size functions. A new model kind adds its schema and one entry here.

import * as v from 'valibot';
import { ACTIVATIONS } from '../../engine/backend';
import { tokenMlpParamCount } from '../models/token-mlp';
import { choice, int, num } from './common-config';

/** A language model over windows of the previous `context` tokens: embeddings -> concat -> MLP -> logits. */
export const TokenMlpSchema = v.object({
  kind: v.literal('token-mlp'),
  context: int(
    1,
    8,
    2,
    'Context',
    'Previous tokens the model sees (BOS-padded); for a reward model, tokens scored together',
  ),
  embed: int(1, 128, 16, 'Embedding width'),
  width: int(1, 512, 64, 'Hidden width'),
  depth: int(0, 4, 1, 'Hidden layers'),
  activation: choice(ACTIVATIONS, 'gelu', 'Activation'),
  initScale: num(0.01, 10, 1, 'Init scale', 'Multiplies the initial weights, N(0, 1/fan_in)'),
});

export const ModelSchema = v.variant('kind', [TokenMlpSchema]);

export type TokenMlpConfig = v.InferOutput<typeof TokenMlpSchema>;
export type ModelConfig = v.InferOutput<typeof ModelSchema>;

/** What the memory estimate needs of a model kind. */
interface ModelSizes<M> {
  /** Parameters over `ids` input ids (the tokens and BOS) with OUT outputs per position. */
  params(m: M, ids: number, OUT: number): number;
  /** Widest per-row activation of a pass. */
  widest(m: M): number;
}

const MODEL_SIZES: { [K in ModelConfig['kind']]: ModelSizes<Extract<ModelConfig, { kind: K }>> } = {
  'token-mlp': {
    params: tokenMlpParamCount,
    widest: (m) => Math.max(m.width, m.context * m.embed),
  },
};

/** The sizes of any model, dispatched on its kind. */
export const modelSizes = (m: ModelConfig): ModelSizes<ModelConfig> => MODEL_SIZES[m.kind];
