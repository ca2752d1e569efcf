// Softmax over the last axis of [R, C], or with LOG its logarithm, and their backward: TPR invocations per row, tree
// reductions in workgroup memory. Both normalize a row by its log-sum-exp and differ only in what they write, so
// they share the reductions and the row geometry.
// #include rows

override LOG: bool = false; // log-softmax: y = log(softmax(x))

struct Params {
  R: u32,
  C: u32,
}

@group(0) @binding(0) var<uniform> u: Params;

// ---- forward: y = exp(x - max) / sum(exp(x - max)), with LOG y = x - max - log(sum(exp(x - max))) ----
@group(0) @binding(1) var<storage, read_write> y: array<f32>; // [R, C]
@group(0) @binding(2) var<storage, read> x: array<f32>;       // [R, C]

@compute @workgroup_size(WG)
fn forward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = row_index(wid, nwg, lid);
  let lane = lid % TPR;
  // Lanes of rows past R loop zero times but still reach the barriers.
  let n = select(0u, u.C, row < u.R);
  let base = row * u.C;
  var st = LSE_EMPTY;
  for (var c = lane; c < n; c = c + TPR) {
    st = lse_add(st, x[base + c]);
  }
  st = row_lse(lid, st);
  if (LOG) {
    let lse = st.x + log(st.y);
    for (var c = lane; c < n; c = c + TPR) {
      y[base + c] = x[base + c] - lse;
    }
  } else {
    let inv = 1.0 / st.y;
    for (var c = lane; c < n; c = c + TPR) {
      y[base + c] = exp(x[base + c] - st.x) * inv;
    }
  }
}

// ---- backward: dx += y * (dy - sum(dy * y)), with LOG dx += dy - exp(y) * sum(dy) ----
@group(0) @binding(1) var<storage, read_write> dx: array<f32>; // [R, C]
@group(0) @binding(2) var<storage, read> dy: array<f32>;       // [R, C]
@group(0) @binding(3) var<storage, read> by: array<f32>;       // [R, C] the forward output

@compute @workgroup_size(WG)
fn backward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = row_index(wid, nwg, lid);
  let lane = lid % TPR;
  let n = select(0u, u.C, row < u.R);
  let base = row * u.C;
  var acc = 0.0;
  for (var c = lane; c < n; c = c + TPR) {
    if (LOG) {
      acc = acc + dy[base + c];
    } else {
      acc = acc + dy[base + c] * by[base + c];
    }
  }
  let total = row_sum(lid, acc);
  for (var c = lane; c < n; c = c + TPR) {
    let i = base + c;
    if (LOG) {
      dx[i] = dx[i] + dy[i] - exp(by[i]) * total;
    } else {
      dx[i] = dx[i] + by[i] * (dy[i] - total);
    }
  }
}
