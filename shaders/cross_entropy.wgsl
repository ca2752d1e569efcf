// Masked mean cross-entropy over [R, V] logits and its fused softmax - onehot backward; row partials are summed
// by one workgroup in a fixed order, so the loss is the same every run.
// #include rows

struct Params {
  R: u32,
  V: u32,
  scale: f32, // backward only
  _pad: u32,
}

@group(0) @binding(0) var<uniform> u: Params;

// Out-of-range targets are clamped into the row, as embedding lookups are.
fn target_col(t: i32) -> u32 {
  return u32(clamp(t, 0, i32(u.V) - 1));
}

// ---- forward, pass 1: nll[r] = mask[r] * (logsumexp(logits[r]) - logits[r, target[r]]), 0 where masked ----
@group(0) @binding(1) var<storage, read_write> nll: array<f32>;   // [R] scratch
@group(0) @binding(2) var<storage, read> logits: array<f32>;      // [R, V]
@group(0) @binding(3) var<storage, read> targets: array<i32>;     // [R]
@group(0) @binding(4) var<storage, read> mask: array<f32>;        // [R]

@compute @workgroup_size(WG)
fn rows(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = row_index(wid, nwg, lid);
  let lane = lid % TPR;
  // Masked rows and rows past R read nothing but still reach the barriers.
  let live = row < u.R && mask[row] != 0.0;
  let n = select(0u, u.V, live);
  let base = row * u.V;
  var st = LSE_EMPTY;
  for (var c = lane; c < n; c = c + TPR) {
    st = lse_add(st, logits[base + c]);
  }
  st = row_lse(lid, st);
  if (lane == 0u && row < u.R) {
    var v = 0.0;
    if (live) {
      v = mask[row] * (st.x + log(st.y) - logits[base + target_col(targets[row])]);
    }
    nll[row] = v;
  }
}

// ---- forward, pass 2 (one workgroup): loss = sum(nll) / sum(mask), 0 when everything is masked ----
@group(0) @binding(1) var<storage, read_write> loss: array<f32>; // [1]
@group(0) @binding(2) var<storage, read> pnll: array<f32>;       // [R] from pass 1
@group(0) @binding(3) var<storage, read> lmask: array<f32>;      // [R]

@compute @workgroup_size(WG)
fn total(@builtin(local_invocation_index) lid: u32) {
  var acc = vec2<f32>(0.0);
  for (var r = lid; r < u.R; r = r + WG) {
    acc = acc + vec2<f32>(pnll[r], lmask[r]);
  }
  let s = row_sum2(lid, acc);
  if (lid == 0u) {
    loss[0] = select(0.0, s.x / s.y, s.y != 0.0);
  }
}

// ---- backward, pass 1 (one workgroup): coef = scale / sum(mask), 0 when everything is masked ----
@group(0) @binding(1) var<storage, read_write> coef: array<f32>; // [1] scratch
@group(0) @binding(2) var<storage, read> nmask: array<f32>;      // [R]

@compute @workgroup_size(WG)
fn norm(@builtin(local_invocation_index) lid: u32) {
  var acc = vec2<f32>(0.0);
  for (var r = lid; r < u.R; r = r + WG) {
    acc.x = acc.x + nmask[r];
  }
  let s = row_sum2(lid, acc);
  if (lid == 0u) {
    coef[0] = select(0.0, u.scale / s.x, s.x != 0.0);
  }
}

// ---- backward, pass 2: dlogits[r] += coef * mask[r] * (softmax(logits[r]) - onehot(target[r])) ----
@group(0) @binding(1) var<storage, read_write> dlogits: array<f32>; // [R, V]
@group(0) @binding(2) var<storage, read> bcoef: array<f32>;         // [1] from pass 1
@group(0) @binding(3) var<storage, read> blogits: array<f32>;       // [R, V]
@group(0) @binding(4) var<storage, read> btargets: array<i32>;      // [R]
@group(0) @binding(5) var<storage, read> bmask: array<f32>;         // [R]

@compute @workgroup_size(WG)
fn backward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = row_index(wid, nwg, lid);
  let lane = lid % TPR;
  var g = 0.0;
  if (row < u.R) {
    g = bcoef[0] * bmask[row];
  }
  // Rows with nothing to add read nothing but still reach the barriers.
  let n = select(0u, u.V, g != 0.0);
  let base = row * u.V;
  var st = LSE_EMPTY;
  for (var c = lane; c < n; c = c + TPR) {
    st = lse_add(st, blogits[base + c]);
  }
  st = row_lse(lid, st);
  if (g == 0.0) {
    return;
  }
  let t = target_col(btargets[row]);
  let inv = 1.0 / st.y;
  for (var c = lane; c < u.V; c = c + TPR) {
    let i = base + c;
    let p = exp(blogits[i] - st.x) * inv;
    dlogits[i] = dlogits[i] + g * (p - select(0.0, 1.0, c == t));
  }
}
