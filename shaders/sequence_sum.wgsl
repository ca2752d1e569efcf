// Masked per-sequence sums of per-token values (a sequence-level score from token-level outputs) and the backward.

override WG: u32 = 256;

struct Params {
  B: u32,
  T: u32,
}

@group(0) @binding(0) var<uniform> u: Params;

// ---- forward: out[b] = sum_t mask[b, t] x[b, t], one invocation per sequence in position order ----
@group(0) @binding(1) var<storage, read_write> out: array<f32>; // [B]
@group(0) @binding(2) var<storage, read> x: array<f32>;         // [B, T]
@group(0) @binding(3) var<storage, read> mask: array<f32>;      // [B, T]

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = flat_index(gid, nwg, WG);
  if (b >= u.B) {
    return;
  }
  var s = 0.0;
  for (var t = 0u; t < u.T; t = t + 1u) {
    s = s + mask[b * u.T + t] * x[b * u.T + t];
  }
  out[b] = s;
}

// ---- backward: dx[b, t] += dout[b] mask[b, t] ----
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;  // [B, T]
@group(0) @binding(2) var<storage, read> dout: array<f32>;      // [B]
@group(0) @binding(3) var<storage, read> bmask: array<f32>;     // [B, T]

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, WG);
  if (i >= u.B * u.T) {
    return;
  }
  dx[i] = dx[i] + dout[i / u.T] * bmask[i];
}
