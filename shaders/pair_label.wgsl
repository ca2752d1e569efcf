// Bradley-Terry preference labels for pairs of sampled responses: row b beats row B + b with probability
// sigmoid(r[b] - r[B+b]), decided by one Philox uniform per pair.

override WG: u32 = 256;

struct Params {
  B: u32,
  seed_lo: u32,
  seed_hi: u32,
  stream: u32,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read_write> chosen: array<i32>;   // [B] row ids in [0, 2B)
@group(0) @binding(2) var<storage, read_write> rejected: array<i32>; // [B]
@group(0) @binding(3) var<storage, read> rewards: array<f32>;        // [2B]
@group(0) @binding(4) var<storage, read> clock: array<u32>;          // [1]

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = flat_index(gid, nwg, WG);
  if (b >= u.B) {
    return;
  }
  let w = philox4x32_10(vec4<u32>(b, u.stream, clock[0], 0u), vec2<u32>(u.seed_lo, u.seed_hi));
  let first = bits_to_uniform(w.x) < sigmoid_f32(rewards[b] - rewards[u.B + b]);
  chosen[b] = i32(select(u.B + b, b, first));
  rejected[b] = i32(select(b, u.B + b, first));
}
