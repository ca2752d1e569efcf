// Philox 4x32-10 in TypeScript, bit-identical to shaders/common.wgsl: every random draw of a run comes from here
// or from the shader, as a pure function of (seed, stream, counter).

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** Philox 4x32-10 of (counter, key), written to out[o..o+4). */
export function philox4x32(
  out: Uint32Array,
  o: number,
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
): void {
  let x0 = c0 >>> 0,
    x1 = c1 >>> 0,
    x2 = c2 >>> 0,
    x3 = c3 >>> 0,
    ka = k0 >>> 0,
    kb = k1 >>> 0;
  for (let r = 0; r < 10; r++) {
    const lo0 = Math.imul(M0, x0) >>> 0;
    const hi0 = mulhi(M0, x0);
    const lo1 = Math.imul(M1, x2) >>> 0;
    const hi1 = mulhi(M1, x2);
    const y0 = (hi1 ^ x1 ^ ka) >>> 0;
    const y2 = (hi0 ^ x3 ^ kb) >>> 0;
    x0 = y0;
    x1 = lo1;
    x2 = y2;
    x3 = lo0;
    ka = (ka + W0) >>> 0;
    kb = (kb + W1) >>> 0;
  }
  out[o] = x0;
  out[o + 1] = x1;
  out[o + 2] = x2;
  out[o + 3] = x3;
}

/** High 32 bits of the 64-bit product of two u32. */
function mulhi(a: number, b: number): number {
  const aLo = a & 0xffff,
    aHi = a >>> 16,
    bLo = b & 0xffff,
    bHi = b >>> 16;
  const hiLo = aHi * bLo,
    loHi = aLo * bHi;
  const cross = ((aLo * bLo) >>> 16) + (hiLo & 0xffff) + (loHi & 0xffff);
  return (aHi * bHi + (hiLo >>> 16) + (loHi >>> 16) + (cross >>> 16)) >>> 0;
}

/** Uniform in (0, 1) from the top 24 bits, as the shader computes it (float64 here; the shader rounds to f32). */
export function bitsToUniform(b: number): number {
  return ((b >>> 8) + 0.5) * 2 ** -24;
}

/** Split a non-negative integer seed (< 2^53) into the two Philox key words. */
export function seedWords(seed: number): [number, number] {
  return [seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0];
}

/** A host-side stream of draws: for sampling on the CPU in the same scheme as the GPU. */
export class Philox {
  private readonly buf = new Uint32Array(4);
  private index = 0;
  private used = 4;
  constructor(
    private readonly seed: number,
    private readonly stream: number,
    private readonly step = 0,
  ) {}
  nextU32(): number {
    if (this.used === 4) {
      const [k0, k1] = seedWords(this.seed);
      philox4x32(this.buf, 0, this.index++, this.stream, this.step, 0, k0, k1);
      this.used = 0;
    }
    return this.buf[this.used++];
  }
  uniform(): number {
    return bitsToUniform(this.nextU32());
  }
  normal(): number {
    const u1 = this.uniform();
    const u2 = this.uniform();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.uniform() * n));
  }
}
