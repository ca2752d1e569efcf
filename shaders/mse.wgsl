// Mean squared error: loss = mean((pred - target)^2) by a deterministic tree sum, fused with dpred += its gradient.

// #include rows

override GRAD: bool = false; // also accumulate the gradient into dpred

struct Params {
  n: u32,      // elements of pred and target
  groups: u32, // workgroups of this launch; each strides over the elements by groups * WG
  post: f32,   // 1/n when this launch writes the loss itself, 1 when it writes partials
  grad: f32,   // scale * 2 / n: the gradient's factor
}

@group(0) @binding(0) var<uniform> u: Params;

// ---- out[g] = post * sum over this workgroup's elements of (pred - target)^2; with GRAD the same pass also adds
// dpred += grad * (pred - target), so the backward reads pred and target only once ----
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<storage, read_write> dpred: array<f32>; // a stand-in without GRAD
@group(0) @binding(3) var<storage, read> pred: array<f32>;
@group(0) @binding(4) var<storage, read> tgt: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = wid.x * WG + lid; i < u.n; i = i + u.groups * WG) {
    let d = pred[i] - tgt[i];
    acc = acc + d * d;
    if (GRAD) {
      dpred[i] = dpred[i] + u.grad * d;
    }
  }
  let total = row_sum(lid, acc);
  if (lid == 0u) {
    out[wid.x] = u.post * total;
  }
}
