// Per-sequence log-probabilities of [B, T, V] logits: log-softmax, target gather and masked sum over t fused
// (the [B, T, V] log-softmax is never stored), and the backward dlogits += coef[b] * mask * (onehot - softmax).
// #include rows

override AVERAGE: bool = false; // divide each sequence's sum by its number of unmasked tokens

struct Params {
  rows: u32, // B * T
  T: u32,
  V: u32,
  B: u32,
}

@group(0) @binding(0) var<uniform> u: Params;

// Out-of-range targets are clamped into the row, as embedding lookups are.
fn target_col(t: i32) -> u32 {
  return u32(clamp(t, 0, i32(u.V) - 1));
}

// ---- forward, pass 1: tok[b, t] = mask * log_softmax(logits[b, t])[target], 0 where masked ----
@group(0) @binding(1) var<storage, read_write> tok: array<f32>; // [B, T] scratch
@group(0) @binding(2) var<storage, read> logits: array<f32>;    // [B, T, V]
@group(0) @binding(3) var<storage, read> targets: array<i32>;   // [B, T]
@group(0) @binding(4) var<storage, read> mask: array<f32>;      // [B, T]

@compute @workgroup_size(WG)
fn rows(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = row_index(wid, nwg, lid);
  let lane = lid % TPR;
  // Masked rows and rows past B * T read nothing but still reach the barriers.
  let live = row < u.rows && mask[row] != 0.0;
  let n = select(0u, u.V, live);
  let base = row * u.V;
  var st = LSE_EMPTY;
  for (var c = lane; c < n; c = c + TPR) {
    st = lse_add(st, logits[base + c]);
  }
  st = row_lse(lid, st);
  if (lane == 0u && row < u.rows) {
    var v = 0.0;
    if (live) {
      v = mask[row] * (logits[base + target_col(targets[row])] - st.x - log(st.y));
    }
    tok[row] = v;
  }
}

// ---- forward, pass 2 (TPR invocations per sequence): logps[b] = sum_t tok (/ sum_t mask, 0 when all masked) ----
@group(0) @binding(1) var<storage, read_write> logps: array<f32>; // [B]
@group(0) @binding(2) var<storage, read> ptok: array<f32>;        // [B, T] from pass 1
@group(0) @binding(3) var<storage, read> smask: array<f32>;       // [B, T]

@compute @workgroup_size(WG)
fn sums(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let b = row_index(wid, nwg, lid);
  let lane = lid % TPR;
  let n = select(0u, u.T, b < u.B);
  var acc = vec2<f32>(0.0);
  for (var t = lane; t < n; t = t + TPR) {
    acc = acc + vec2<f32>(ptok[b * u.T + t], smask[b * u.T + t]);
  }
  let s = row_sum2(lid, acc);
  if (lane == 0u && b < u.B) {
    if (AVERAGE) {
      logps[b] = select(0.0, s.x / s.y, s.y != 0.0);
    } else {
      logps[b] = s.x;
    }
  }
}

// ---- backward, pass 1 when averaging (TPR invocations per sequence): coef[b] = dlogps[b] / sum_t mask, 0 when all masked ----
@group(0) @binding(1) var<storage, read_write> coef: array<f32>; // [B] scratch
@group(0) @binding(2) var<storage, read> dlogps: array<f32>;     // [B]
@group(0) @binding(3) var<storage, read> cmask: array<f32>;      // [B, T]

@compute @workgroup_size(WG)
fn counts(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let b = row_index(wid, nwg, lid);
  let lane = lid % TPR;
  let n = select(0u, u.T, b < u.B);
  var acc = vec2<f32>(0.0);
  for (var t = lane; t < n; t = t + TPR) {
    acc.x = acc.x + cmask[b * u.T + t];
  }
  let s = row_sum2(lid, acc);
  if (lane == 0u && b < u.B) {
    coef[b] = select(0.0, dlogps[b] / s.x, s.x != 0.0);
  }
}

// ---- backward, pass 2: dlogits[b, t] += coef[b] * mask[b, t] * (onehot(target) - softmax(logits[b, t])) ----
// coef is dlogps itself when not averaging.
@group(0) @binding(1) var<storage, read_write> dlogits: array<f32>; // [B, T, V]
@group(0) @binding(2) var<storage, read> bcoef: array<f32>;         // [B]
@group(0) @binding(3) var<storage, read> blogits: array<f32>;       // [B, T, V]
@group(0) @binding(4) var<storage, read> btargets: array<i32>;      // [B, T]
@group(0) @binding(5) var<storage, read> bmask: array<f32>;         // [B, T]

@compute @workgroup_size(WG)
fn backward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = row_index(wid, nwg, lid);
  let lane = lid % TPR;
  var g = 0.0;
  if (row < u.rows) {
    g = bcoef[row / u.T] * bmask[row];
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
    dlogits[i] = dlogits[i] + g * (select(0.0, 1.0, c == t) - p);
  }
}
