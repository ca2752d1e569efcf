// Row gather (embedding lookup) and its deterministic scatter-add backward; bitwise, so it also gathers i32 data.

struct Params {
  N: u32, // rows gathered
  C: u32, // row width
  V: u32, // rows in the table
  _pad: u32,
}

@group(0) @binding(0) var<uniform> u: Params;

// ---- forward: out[n, c] = table[idx[n], c] ----
@group(0) @binding(1) var<storage, read_write> out: array<u32>;   // [N, C]
@group(0) @binding(2) var<storage, read> table: array<u32>;       // [V, C]
@group(0) @binding(3) var<storage, read> idx: array<i32>;         // [N]

@compute @workgroup_size(256)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= u.N * u.C) {
    return;
  }
  let n = i / u.C;
  let c = i % u.C;
  let row = u32(clamp(idx[n], 0, i32(u.V) - 1));
  out[i] = table[row * u.C + c];
}

// ---- backward: dtable[v, c] += sum over n with idx[n] == v of dout[n, c] ----
// One invocation per table element walking all N rows in order: no float atomics, same sum every run.
@group(0) @binding(1) var<storage, read_write> dtable: array<f32>; // [V, C]
@group(0) @binding(2) var<storage, read> dout: array<f32>;         // [N, C]
@group(0) @binding(3) var<storage, read> bidx: array<i32>;         // [N]

@compute @workgroup_size(256)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, 256u);
  if (i >= u.V * u.C) {
    return;
  }
  let v = i32(i / u.C);
  let c = i % u.C;
  var acc = 0.0;
  for (var n = 0u; n < u.N; n = n + 1u) {
    if (clamp(bidx[n], 0, i32(u.V) - 1) == v) {
      acc = acc + dout[n * u.C + c];
    }
  }
  dtable[i] = dtable[i] + acc;
}
