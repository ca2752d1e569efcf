// The oracle fixture format (../shared/fixtures, OPS.md): its types and the check of a parsed JSON file.

export interface FixtureTensor {
  shape: number[];
  data: number[];
  dtype?: 'f32' | 'i32' | 'u32';
}

export interface Fixture {
  op: string;
  attrs: Record<string, number | string | boolean>;
  inputs: Record<string, FixtureTensor>;
  outputs: Record<string, FixtureTensor>;
  grads: Record<string, FixtureTensor>;
  objective: string;
  tolerance: { rtol: number; atol: number };
}

export class FixtureFormatError extends Error {}

export const FIXTURE_OPS = [
  'matmul',
  'linear',
  'activation',
  'softmax',
  'log_softmax',
  'cross_entropy',
  'sequence_logps',
  'preference_loss',
  'distill_loss',
  'mse',
  'diffusion_dpo_loss',
  'adamw',
  'philox',
  'layernorm',
  'attention',
  'embedding',
] as const;

/** Refuse a fixture: the message says what is wrong with it. */
export function refuse(msg: string): never {
  throw new FixtureFormatError(msg);
}

function checkTensor(where: string, t: unknown): FixtureTensor {
  if (typeof t !== 'object' || t === null) refuse(`${where} is not an object`);
  const { shape, data, dtype } = t as Record<string, unknown>;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0))
    refuse(`${where}.shape is not a list of sizes`);
  if (!Array.isArray(data) || !data.every((d) => typeof d === 'number'))
    refuse(`${where}.data is not a list of numbers`);
  const n = (shape as number[]).reduce((a, b) => a * b, 1);
  if (data.length !== n)
    refuse(`${where} has ${data.length} values for shape [${(shape as number[]).join(', ')}] (${n})`);
  if (dtype !== undefined && dtype !== 'i32' && dtype !== 'u32' && dtype !== 'f32')
    refuse(`${where}.dtype ${String(dtype)} is unknown`);
  return { shape: shape as number[], data: data as number[], dtype: dtype as FixtureTensor['dtype'] };
}

/** Validate a parsed JSON value as a fixture; throws FixtureFormatError saying what is wrong. */
export function parseFixture(json: unknown): Fixture {
  if (typeof json !== 'object' || json === null) refuse('not a JSON object');
  const o = json as Record<string, unknown>;
  if (typeof o.op !== 'string') refuse('missing "op"');
  if (!(FIXTURE_OPS as readonly string[]).includes(o.op)) refuse(`unknown op "${o.op}"`);
  const section = (name: string, required: boolean): Record<string, FixtureTensor> => {
    const s = o[name];
    if (s === undefined && !required) return {};
    if (typeof s !== 'object' || s === null) refuse(`missing "${name}"`);
    return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, checkTensor(`${name}.${k}`, v)]));
  };
  const tol = o.tolerance as Record<string, unknown> | undefined;
  if (!tol || typeof tol.rtol !== 'number' || typeof tol.atol !== 'number') refuse('missing "tolerance" {rtol, atol}');
  return {
    op: o.op,
    attrs: (o.attrs ?? {}) as Fixture['attrs'],
    inputs: section('inputs', true),
    outputs: section('outputs', true),
    grads: section('grads', false),
    objective: typeof o.objective === 'string' ? o.objective : 'none',
    tolerance: { rtol: tol.rtol, atol: tol.atol },
  };
}
