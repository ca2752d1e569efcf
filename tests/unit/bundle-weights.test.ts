// The run bundle's weights codec at sizes a real model reaches (millions of floats), on random lengths, on malformed
// base64, which must be refused as a BundleError whatever its size, and against the models the run's config trains.
import { describe, expect, it } from 'vitest';
import {
  BUNDLE_FORMAT,
  BUNDLE_VERSION,
  BundleError,
  decodeWeights,
  encodeWeights,
  parseBundle,
  serializeBundle,
  type EncodedWeights,
} from '../../src/app/export';
import { Philox } from '../../src/engine/rng';
import { expectedWeights, parseConfig } from '../../src/lab/config';
import { Experiment } from '../../src/lab/experiment';
import { findPreset, PRESETS } from '../../src/lab/presets';
import { cpu } from '../helpers/backends';

/** Floats of every kind the bytes must carry: normals, huge and tiny values, -0, NaN and the infinities. */
function floats(n: number, rng: Philox): Float32Array {
  const w = new Float32Array(n);
  const special = [-0, NaN, Infinity, -Infinity, 3.4e38, 1e-45];
  for (let i = 0; i < n; i++) w[i] = rng.int(50) === 0 ? special[rng.int(special.length)] : rng.normal() * 10;
  return w;
}

const same = (a: Float32Array, b: Float32Array): boolean => {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

/** Decode for a run that trains exactly the listed models at the listed lengths. */
const decodeAsListed = (list: EncodedWeights[]) => decodeWeights(list, new Map(list.map((w) => [w.name, w.length])));

function decodeError(list: EncodedWeights[]): unknown {
  try {
    decodeAsListed(list);
  } catch (e) {
    return e;
  }
  return null;
}

describe('weights in a run bundle', () => {
  it('round-trips 2,000,000 floats bit for bit through a bundle file', () => {
    const w = floats(2_000_000, new Philox(7, 0));
    const text = serializeBundle({
      format: BUNDLE_FORMAT,
      version: BUNDLE_VERSION,
      name: 'big',
      savedAt: '2026-01-01T00:00:00.000Z',
      backend: 'CPU',
      // A policy of 1000 prompts x 2000 responses.
      config: parseConfig({
        world: { kind: 'bandit', prompts: 1000, responses: 2000 },
        stages: [{ kind: 'preference' }],
      }),
      done: 0,
      total: 400,
      rows: [],
      final: null,
      weights: { policy: w },
    });
    const [enc] = JSON.parse(text).weights as EncodedWeights[];
    expect(enc.length).toBe(2_000_000);
    expect(enc.base64.length).toBe(Math.ceil((2_000_000 * 4) / 3) * 4);
    const back = parseBundle(text).weights!.policy;
    expect(back).toHaveLength(2_000_000);
    expect(same(back, w)).toBe(true);
  });

  it('round-trips random lengths 0..5000 bit for bit, and agrees with Node base64', () => {
    const rng = new Philox(11, 1);
    for (let trial = 0; trial < 200; trial++) {
      const n = rng.int(5001);
      const w = floats(n, rng);
      const [enc] = encodeWeights({ m: w });
      expect(enc.base64).toBe(Buffer.from(w.buffer).toString('base64'));
      const back = decodeAsListed([enc]).m;
      expect(same(back, w), `length ${n}`).toBe(true);
    }
  });

  it('refuses malformed base64 with a BundleError, never a RangeError', () => {
    const good = encodeWeights({ policy: new Float32Array([1, 2, 3]) })[0];
    expect(good.base64).toBe('AACAPwAAAEAAAEBA');
    const bad = [
      'AACAPwAAAEAAAEB!', // a character outside the alphabet
      'AACAPwAA AEAAAEBA', // a space
      'AACAPwAAAEAAAEB\n', // a newline
      'AACAPwAAAEAAAEBé', // beyond ASCII
      'AACAPwAAAEAAAE-_', // the URL alphabet
      'AACAPwAAAEAAAEB', // truncated: not a multiple of 4
      'AACAPwAAAEAAAE', // truncated by two
      'AACAPwAAAEAAA=BA', // padding inside
      'AACAPwAAAEAAAE=A', // padding before the last character
      'AACAPwAAAEAAA===', // three padding characters
      'AACAPwAAAEAAAEBA=', // padding after a full group
      '====', // nothing but padding
    ];
    for (const base64 of bad) {
      const e = decodeError([{ ...good, base64 }]);
      expect(e, JSON.stringify(base64)).toBeInstanceOf(BundleError);
      expect((e as Error).message).toContain('the weights of policy are not valid base64');
    }
    // Past the size where a backtracking check overflows the stack: still a BundleError.
    const big = encodeWeights({ policy: new Float32Array(1_000_000) })[0];
    for (const base64 of [big.base64.slice(0, -1), `${big.base64.slice(0, -8)}!AAAAAAA`, `!${big.base64.slice(1)}`]) {
      const e = decodeError([{ ...big, base64 }]);
      expect(e).toBeInstanceOf(BundleError);
      expect((e as Error).message).toContain('not valid base64');
    }
  });

  it('says which byte count does not match the length, at any size', () => {
    const big = encodeWeights({ policy: new Float32Array(1_000_000) })[0];
    const e = decodeError([{ ...big, length: 999_999 }]);
    expect(e).toBeInstanceOf(BundleError);
    expect((e as Error).message).toBe('the weights of policy hold 4000000 bytes, not 3999996 for 999999 floats');
  });
});

describe('weights checked against the config of the run', () => {
  const bundleOf = (preset: string, weights: Record<string, Float32Array>): string => {
    const config = parseConfig(structuredClone(findPreset(preset)!.config));
    return serializeBundle({
      format: BUNDLE_FORMAT,
      version: BUNDLE_VERSION,
      name: preset,
      savedAt: '2026-01-01T00:00:00.000Z',
      backend: 'CPU',
      config,
      done: 0,
      total: 1,
      rows: [],
      final: null,
      weights,
    });
  };
  const refusal = (text: string): string => {
    try {
      parseBundle(text);
    } catch (e) {
      expect(e).toBeInstanceOf(BundleError);
      return (e as Error).message;
    }
    throw new Error('the bundle was accepted');
  };

  it.each(PRESETS.map((p) => p.name))('imports the weights a run of %s returns', async (name) => {
    const exp = Experiment.create(cpu(), parseConfig(structuredClone(findPreset(name)!.config)));
    try {
      const weights = await exp.weights();
      expect(parseBundle(bundleOf(name, weights)).weights).toEqual(weights);
    } finally {
      exp.dispose();
    }
  });

  it('refuses a length other than the model has, naming the model and its length', () => {
    // dpo-bandit's policy: 4 prompts x 12 responses.
    expect(refusal(bundleOf('dpo-bandit', { policy: new Float32Array(49) }))).toBe(
      'the weights of policy hold 49 floats, but its config gives policy 48',
    );
    expect(refusal(bundleOf('dpo-bandit', { policy: new Float32Array(64) }))).toContain('gives policy 48');
    const teacher = expectedWeights(parseConfig(findPreset('teacher-student-dpo')!.config)).get('teacher')!;
    const weights = {
      teacher: new Float32Array(teacher + 1),
      student: new Float32Array(1),
      rm: new Float32Array(1),
    };
    expect(refusal(bundleOf('teacher-student-dpo', weights))).toBe(
      `the weights of teacher hold ${teacher + 1} floats, but its config gives teacher ${teacher}`,
    );
  });

  it('refuses weights of a model the config does not have, and a model missing', () => {
    const policy = new Float32Array(48);
    expect(refusal(bundleOf('dpo-bandit', { policy, student: new Float32Array(48) }))).toBe(
      `the weights of "student" belong to no model of the run's config (it trains policy)`,
    );
    expect(refusal(bundleOf('dpo-bandit', {}))).toBe('the weights of policy (48 floats) are missing');
    const want = expectedWeights(parseConfig(findPreset('diffusion-dmd-collapse')!.config));
    const teacher = new Float32Array(want.get('teacher')!);
    expect(refusal(bundleOf('diffusion-dmd-collapse', { teacher }))).toBe(
      `the weights of dmd-student (${want.get('dmd-student')} floats) are missing`,
    );
  });

  it('refuses a name that spells a built-in key, and never lets one set the prototype', () => {
    const good = JSON.parse(bundleOf('dpo-bandit', { policy: new Float32Array(48) }));
    for (const name of ['__proto__', 'constructor', 'toString']) {
      const text = JSON.stringify({ ...good, weights: [...good.weights, { ...good.weights[0], name }] });
      expect(refusal(text)).toContain(`the weights of "${name}" belong to no model`);
    }
    // Even where a run named a model so, the name stays a key of the record.
    const [enc] = encodeWeights({ policy: new Float32Array([1, 2]) });
    const out = decodeWeights([{ ...enc, name: '__proto__' }], new Map([['__proto__', 2]]));
    expect(Object.getPrototypeOf(out)).toBeNull();
    expect(Object.keys(out)).toEqual(['__proto__']);
    expect(Array.from(out['__proto__'])).toEqual([1, 2]);
  });

  it('checks names and lengths before it decodes any base64', () => {
    const good = JSON.parse(bundleOf('dpo-bandit', { policy: new Float32Array(48) }));
    const text = JSON.stringify({ ...good, weights: [{ name: 'policy', length: 47, base64: '!' }] });
    expect(refusal(text)).toBe('the weights of policy hold 47 floats, but its config gives policy 48');
  });
});
