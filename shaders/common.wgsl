// Shared WGSL helpers, prepended to every kernel: Philox 4x32-10, stable log-sigmoid, online log-sum-exp, grid indexing.

// Philox 4x32-10 (Salmon et al., Random123). Bit-identical to src/engine/rng.ts.
fn philox_mulhilo(a: u32, b: u32) -> vec2<u32> {
  // 32x32 -> 64-bit product from 16-bit halves: WGSL has no 64-bit integers.
  let a_lo = a & 0xffffu;
  let a_hi = a >> 16u;
  let b_lo = b & 0xffffu;
  let b_hi = b >> 16u;
  let lo_lo = a_lo * b_lo;
  let hi_lo = a_hi * b_lo;
  let lo_hi = a_lo * b_hi;
  let hi_hi = a_hi * b_hi;
  let cross = (lo_lo >> 16u) + (hi_lo & 0xffffu) + (lo_hi & 0xffffu);
  let hi = hi_hi + (hi_lo >> 16u) + (lo_hi >> 16u) + (cross >> 16u);
  let lo = a * b;
  return vec2<u32>(hi, lo);
}

fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = counter;
  var k = key;
  for (var r = 0u; r < 10u; r = r + 1u) {
    let p0 = philox_mulhilo(0xD2511F53u, c.x);
    let p1 = philox_mulhilo(0xCD9E8D57u, c.z);
    c = vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
    k = k + vec2<u32>(0x9E3779B9u, 0xBB67AE85u);
  }
  return c;
}

// Uniform in (0, 1) from the top 24 bits: never 0, so log(u) is finite.
fn bits_to_uniform(b: u32) -> f32 {
  return (f32(b >> 8u) + 0.5) * 5.9604644775390625e-8;
}

// log(sigmoid(x)) without overflow: min(x, 0) - log1p(exp(-|x|)).
fn log_sigmoid(x: f32) -> f32 {
  return min(x, 0.0) - log1p_f32(exp(-abs(x)));
}

fn sigmoid_f32(x: f32) -> f32 {
  if (x >= 0.0) {
    return 1.0 / (1.0 + exp(-x));
  }
  let e = exp(x);
  return e / (1.0 + e);
}

// Online log-sum-exp state: (running max m, sum of exp(x - m)); log-sum-exp = m + log(sum).
// The empty max is -FLT_MAX rather than -inf so that merging empty states never computes inf - inf.
const LSE_EMPTY = vec2<f32>(-0x1.fffffep+127f, 0.0);

fn lse_add(a: vec2<f32>, x: f32) -> vec2<f32> {
  if (x > a.x) {
    return vec2<f32>(x, a.y * exp(a.x - x) + 1.0);
  }
  return vec2<f32>(a.x, a.y + exp(x - a.x));
}

fn lse_join(a: vec2<f32>, b: vec2<f32>) -> vec2<f32> {
  let m = max(a.x, b.x);
  return vec2<f32>(m, a.y * exp(a.x - m) + b.y * exp(b.x - m));
}

// log(1 + y) accurate for small y (WGSL has no log1p).
fn log1p_f32(y: f32) -> f32 {
  let u = 1.0 + y;
  if (u == 1.0) {
    return y;
  }
  return log(u) * (y / (u - 1.0));
}

// Flat invocation index for a 1D problem dispatched over a 2D grid (see grid() in context.ts).
fn flat_index(gid: vec3<u32>, nwg: vec3<u32>, wg_size: u32) -> u32 {
  return gid.x + gid.y * nwg.x * wg_size;
}

fn flat_group(wid: vec3<u32>, nwg: vec3<u32>) -> u32 {
  return wid.x + wid.y * nwg.x;
}
