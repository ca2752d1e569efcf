// The named models of a sequences run, one entry per model kind: its schema, the checks its fields need together,
// and the sizes the memory estimate reads, computed by the model's own size functions. A new model kind adds its
// schema and one entry here.

import * as v from 'valibot';
import { ACTIVATIONS } from '../../engine/backend';
import { tokenMlpParamCount } from '../models/token-mlp';
import { transformerParamCount, transformerWorkFloats } from '../models/transformer';
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

/** The widest head the fused attention kernels tile. */
export const MAX_HEAD_SIZE = 128;

/**
 * A GPT-2 transformer: token and learned position embeddings, pre-LN blocks (causal self-attention, then a 4x MLP
 * with GELU), a final LN and the logits.
 */
export const TransformerSchema = v.object({
  kind: v.literal('transformer'),
  layers: int(1, 8, 2, 'Layers', 'Transformer blocks: causal self-attention, then a 4x MLP, each pre-LN'),
  heads: int(1, 8, 2, 'Heads', `Attention heads per block; they split the width (head size at most ${MAX_HEAD_SIZE})`),
  width: int(1, 512, 32, 'Width', 'Channels of the residual stream (a multiple of the heads)'),
  context: int(1, 256, 32, 'Context', 'Positions of the learned position table: at least the sequence length'),
  tiedHead: v.optional(
    v.pipe(
      v.boolean(),
      v.title('Tied head'),
      v.description('The logits reuse the token embedding instead of a head matrix of their own'),
    ),
    false,
  ),
});

export const ModelSchema = v.variant('kind', [TokenMlpSchema, TransformerSchema]);

export type TokenMlpConfig = v.InferOutput<typeof TokenMlpSchema>;
export type TransformerConfig = v.InferOutput<typeof TransformerSchema>;
export type ModelConfig = v.InferOutput<typeof ModelSchema>;

/** What the config checks and the memory estimate need of a model kind. */
interface ModelSizes<M> {
  /** Parameters over `ids` input ids (the tokens and BOS) with OUT outputs per position. */
  params(m: M, ids: number, OUT: number): number;
  /** Widest per-row activation of a pass. */
  widest(m: M): number;
  /**
   * Floats of a pass over B sequences of T positions (with gradients when it trains) beyond the per-row share the
   * estimate counts from `widest`: 0 for a model whose pass is a few rows per position.
   */
  pass(m: M, B: number, T: number, OUT: number, train: boolean): number;
  /** Fields that do not fit together, as `field: message` under the model's path. */
  problems(m: M): string[];
}

const MODEL_SIZES: { [K in ModelConfig['kind']]: ModelSizes<Extract<ModelConfig, { kind: K }>> } = {
  'token-mlp': {
    params: tokenMlpParamCount,
    widest: (m) => Math.max(m.width, m.context * m.embed),
    pass: () => 0,
    problems: () => [],
  },
  transformer: {
    params: transformerParamCount,
    widest: (m) => m.width,
    pass: transformerWorkFloats,
    problems: (m) => {
      if (m.width % m.heads !== 0) return [`width: must be a multiple of the ${m.heads} heads (got ${m.width})`];
      const D = m.width / m.heads;
      return D > MAX_HEAD_SIZE
        ? [`heads: the head size width / heads must be at most ${MAX_HEAD_SIZE} (got ${D}): use more heads`]
        : [];
    },
  },
};

/** The sizes of any model, dispatched on its kind. */
export const modelSizes = (m: ModelConfig): ModelSizes<ModelConfig> => MODEL_SIZES[m.kind];
