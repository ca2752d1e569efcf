// Philox 4x32-10 draws: raw words and uniforms from given counters, and counter-based random tensors.

override WG: u32 = 256;
override UNIFORM: bool = false; // raw_one: write uniforms (as their f32 bits) instead of raw words
override KIND: u32 = 0;         // random: 0 bits (u32), 1 uniform, 2 normal (f32), 3 index (i32)

// ---- raw: bits[r, :] and uniform[r, :] = Philox(counter[r, :], key) ----
@group(0) @binding(1) var<storage, read_write> raw_bits: array<u32>;    // [N, 4]
@group(0) @binding(2) var<storage, read_write> raw_uniform: array<f32>; // [N, 4]
@group(0) @binding(3) var<storage, read> raw_counter: array<u32>;       // [N, 4]
@group(0) @binding(4) var<storage, read> raw_key: array<u32>;           // [2]

@compute @workgroup_size(WG)
fn raw(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = flat_index(gid, nwg, WG);
  if (r >= arrayLength(&raw_counter) / 4u) {
    return;
  }
  let c = vec4<u32>(raw_counter[4u * r], raw_counter[4u * r + 1u], raw_counter[4u * r + 2u], raw_counter[4u * r + 3u]);
  let w = philox4x32_10(c, vec2<u32>(raw_key[0], raw_key[1]));
  for (var e = 0u; e < 4u; e = e + 1u) {
    raw_bits[4u * r + e] = w[e];
    raw_uniform[4u * r + e] = bits_to_uniform(w[e]);
  }
}

// ---- raw_one: only one of the two outputs ----
@group(0) @binding(1) var<storage, read_write> one_out: array<u32>;  // [N, 4]
@group(0) @binding(2) var<storage, read> one_counter: array<u32>;    // [N, 4]
@group(0) @binding(3) var<storage, read> one_key: array<u32>;        // [2]

@compute @workgroup_size(WG)
fn raw_one(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = flat_index(gid, nwg, WG);
  if (r >= arrayLength(&one_counter) / 4u) {
    return;
  }
  let c = vec4<u32>(one_counter[4u * r], one_counter[4u * r + 1u], one_counter[4u * r + 2u], one_counter[4u * r + 3u]);
  let w = philox4x32_10(c, vec2<u32>(one_key[0], one_key[1]));
  for (var e = 0u; e < 4u; e = e + 1u) {
    one_out[4u * r + e] = select(w[e], bitcast<u32>(bits_to_uniform(w[e])), UNIFORM);
  }
}

// ---- random: element i = word i % 4 of Philox(counter (i / 4, stream, clock[0], 0), key (seed_lo, seed_hi)) ----
struct RandomParams {
  size: u32,
  stream: u32,
  seed_lo: u32,
  seed_hi: u32,
  mean: f32,
  stddev: f32,
  n: u32, // index draws: floor(u * n)
}

@group(0) @binding(0) var<uniform> ru: RandomParams;
@group(0) @binding(1) var<storage, read_write> rand_out: array<u32>; // f32/u32/i32 values as 32-bit words
@group(0) @binding(2) var<storage, read> rand_clock: array<u32>;     // [1]

// floor(u * n) for u = ((w >> 8) + 0.5) / 2^24 = (2 (w >> 8) + 1) / 2^25, exactly, in integers: a float
// product would round differently across devices. It is < n, so no clamp is needed.
fn scaled_index(w: u32, n: u32) -> u32 {
  let p = philox_mulhilo(2u * (w >> 8u) + 1u, n);
  return (p.x << 7u) | (p.y >> 25u);
}

// ln(x) for x > 0 to about 1 ulp: the builtin log may be off by 1e-6 absolute (WGSL allows 2^-21 near 1,
// SwiftShader reaches that), which a normal draw would carry into its radius.
fn ln_accurate(x: f32) -> f32 {
  let fe = frexp(x); // x = fract * 2^exp, fract in [0.5, 1)
  var m = fe.fract;
  var e = f32(fe.exp);
  if (m < 0.70710678) {
    m = 2.0 * m;
    e = e - 1.0;
  }
  // ln m = 2 atanh(s), s = (m - 1) / (m + 1) in [-0.172, 0.172]: five odd terms reach f32 precision.
  let s = (m - 1.0) / (m + 1.0);
  let s2 = s * s;
  let ln_m = 2.0 * s * (1.0 + s2 * (1.0 / 3.0 + s2 * (1.0 / 5.0 + s2 * (1.0 / 7.0 + s2 * (1.0 / 9.0)))));
  // ln 2 split in a head exact under multiplication by e and a tail (Cody-Waite).
  return e * 0.693145751953125 + (e * 1.428606765330187e-6 + ln_m);
}

// (cos, sin) of 2 pi t for t in [0, 1] to a few ulp: the builtins may be off by 5e-4 absolute (WGSL allows
// 2^-11, SwiftShader is at 2e-4). t - q/4 is exact, so the reduction to [-pi/4, pi/4] loses nothing.
fn cos_sin_2pi(t: f32) -> vec2<f32> {
  let q = round(4.0 * t);
  let x = 6.283185307179586 * (t - 0.25 * q);
  let x2 = x * x;
  let c = 1.0 - x2 * (1.0 / 2.0 - x2 * (1.0 / 24.0 - x2 * (1.0 / 720.0 - x2 * (1.0 / 40320.0 - x2 * (1.0 / 3628800.0)))));
  let s = x * (1.0 - x2 * (1.0 / 6.0 - x2 * (1.0 / 120.0 - x2 * (1.0 / 5040.0 - x2 * (1.0 / 362880.0)))));
  // Rotate by q quarter turns.
  switch u32(q) % 4u {
    case 0u: {
      return vec2<f32>(c, s);
    }
    case 1u: {
      return vec2<f32>(-s, c);
    }
    case 2u: {
      return vec2<f32>(-c, -s);
    }
    default: {
      return vec2<f32>(s, -c);
    }
  }
}

// Box-Muller: (r cos(2 pi ub), r sin(2 pi ub)), r = sqrt(-2 ln ua).
fn box_muller(ua: f32, ub: f32) -> vec2<f32> {
  return sqrt(-2.0 * ln_accurate(ua)) * cos_sin_2pi(ub);
}

// The four values of one Philox block, as 32-bit words of the output's dtype.
fn draws(w: vec4<u32>) -> vec4<u32> {
  switch KIND {
    case 0u: {
      return w;
    }
    case 1u: {
      let uv = vec4<f32>(bits_to_uniform(w.x), bits_to_uniform(w.y), bits_to_uniform(w.z), bits_to_uniform(w.w));
      return bitcast<vec4<u32>>(ru.mean + ru.stddev * uv);
    }
    case 2u: {
      // Words (0, 1) and (2, 3) pair up: elements 4j, 4j+1 get z0, z1 of the first pair, 4j+2, 4j+3 of the second.
      let z01 = box_muller(bits_to_uniform(w.x), bits_to_uniform(w.y));
      let z23 = box_muller(bits_to_uniform(w.z), bits_to_uniform(w.w));
      return bitcast<vec4<u32>>(ru.mean + ru.stddev * vec4<f32>(z01, z23));
    }
    default: {
      return vec4<u32>(scaled_index(w.x, ru.n), scaled_index(w.y, ru.n), scaled_index(w.z, ru.n), scaled_index(w.w, ru.n));
    }
  }
}

@compute @workgroup_size(WG)
fn random(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let j = flat_index(gid, nwg, WG);
  if (j >= (ru.size + 3u) / 4u) {
    return;
  }
  let w = philox4x32_10(vec4<u32>(j, ru.stream, rand_clock[0], 0u), vec2<u32>(ru.seed_lo, ru.seed_hi));
  let d = draws(w);
  for (var e = 0u; e < 4u; e = e + 1u) {
    if (4u * j + e < ru.size) {
      rand_out[4u * j + e] = d[e];
    }
  }
}
