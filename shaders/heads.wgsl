// Multi-head attention's head split and merge: group g of a [B, T, G, H, D] activation (G groups side by side, such
// as q, k and v out of one fused projection) to its [B, H, T, D] heads, and back. Both directions run one invocation
// per head element, so a write never meets another.

override WG: u32 = 256;

struct Params {
  B: u32,
  T: u32,
  G: u32,
  g: u32,
  H: u32,
  D: u32,
  // 1: add into the destination (the backward passes), 0: overwrite it.
  accumulate: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> u: Params;

// Index in the grouped [B, T, G, H, D] layout of head element i of [B, H, T, D].
fn grouped_index(i: u32) -> u32 {
  let d = i % u.D;
  let t = (i / u.D) % u.T;
  let h = (i / (u.D * u.T)) % u.H;
  let b = i / (u.D * u.T * u.H);
  return (((b * u.T + t) * u.G + u.g) * u.H + h) * u.D + d;
}

// ---- split: heads[b, h, t, d] (+)= x[b, t, g, h, d] ----
@group(0) @binding(1) var<storage, read_write> heads: array<f32>; // [B, H, T, D]
@group(0) @binding(2) var<storage, read> x: array<f32>;           // [B, T, G, H, D]

@compute @workgroup_size(WG)
fn split(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, WG);
  if (i >= u.B * u.H * u.T * u.D) {
    return;
  }
  let value = x[grouped_index(i)];
  heads[i] = select(value, heads[i] + value, u.accumulate != 0u);
}

// ---- merge: y[b, t, g, h, d] (+)= mheads[b, h, t, d]; the other groups of y are left alone ----
@group(0) @binding(1) var<storage, read_write> y: array<f32>;      // [B, T, G, H, D]
@group(0) @binding(2) var<storage, read> mheads: array<f32>;       // [B, H, T, D]

@compute @workgroup_size(WG)
fn merge(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, WG);
  if (i >= u.B * u.H * u.T * u.D) {
    return;
  }
  let j = grouped_index(i);
  y[j] = select(mheads[i], y[j] + mheads[i], u.accumulate != 0u);
}
