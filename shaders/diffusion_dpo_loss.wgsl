// Diffusion-DPO loss (Wallace et al.): -logsig(-0.5 beta (model_diff - ref_diff)) averaged over pairs, where each
// diff is the per-row MSE on the chosen sample minus that on the rejected one; its gradient w.r.t. the model and
// the per-pair implicit rewards. Every pass reads the four per-row MSEs that `rows` leaves in the scratch buffer.

// #include rows

override SIGN: f32 = 1.0; // grad: +1 for the chosen predictions, -1 for the rejected ones

struct Params {
  B: u32,
  D: u32,
  beta: f32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> u: Params;

// The argument of the log-sigmoid for pair b from its MSEs (model chosen, model rejected, ref chosen, ref rejected).
fn inside(s: vec4<f32>) -> f32 {
  return -0.5 * u.beta * ((s.x - s.y) - (s.z - s.w));
}

// ---- rows: mse[b] = (model chosen, model rejected, ref chosen, ref rejected) MSEs of pair b ----
@group(0) @binding(1) var<storage, read> model_chosen: array<f32>;    // [B, D]
@group(0) @binding(2) var<storage, read> model_rejected: array<f32>;  // [B, D]
@group(0) @binding(3) var<storage, read> ref_chosen: array<f32>;      // [B, D]
@group(0) @binding(4) var<storage, read> ref_rejected: array<f32>;    // [B, D]
@group(0) @binding(5) var<storage, read> target_chosen: array<f32>;   // [B, D]
@group(0) @binding(6) var<storage, read> target_rejected: array<f32>; // [B, D]
@group(0) @binding(7) var<storage, read_write> mse: array<vec4<f32>>; // [B]

@compute @workgroup_size(WG)
fn rows(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let b = row_index(wid, nwg, lid);
  let lane = lid % TPR;
  // Rows past B read nothing but still reach the barriers.
  let n = select(0u, u.D, b < u.B);
  let base = b * u.D;
  var acc = vec4<f32>(0.0);
  for (var j = lane; j < n; j = j + TPR) {
    let i = base + j;
    let tc = target_chosen[i];
    let tr = target_rejected[i];
    let e = vec4<f32>(model_chosen[i] - tc, model_rejected[i] - tr, ref_chosen[i] - tc, ref_rejected[i] - tr);
    acc = acc + e * e;
  }
  let s = row_sum4(lid, acc) / f32(u.D);
  if (lane == 0u && b < u.B) {
    mse[b] = s;
  }
}

// ---- finish (one workgroup, TPR = WG): loss = mean of the pair losses ----
@group(0) @binding(1) var<storage, read_write> loss: array<f32>;      // [1]
@group(0) @binding(2) var<storage, read> fin_mse: array<vec4<f32>>;   // [B]

@compute @workgroup_size(WG)
fn finish(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var b = lid; b < u.B; b = b + WG) {
    acc = acc - log_sigmoid(inside(fin_mse[b]));
  }
  let total = row_sum4(lid, vec4<f32>(acc, 0.0, 0.0, 0.0)).x;
  if (lid == 0u) {
    loss[0] = total / f32(u.B);
  }
}

// ---- rewards: chosen[b] = -0.5 beta (mse model chosen - mse ref chosen), rejected[b] likewise ----
@group(0) @binding(1) var<storage, read_write> chosen_rewards: array<f32>;   // [B]
@group(0) @binding(2) var<storage, read_write> rejected_rewards: array<f32>; // [B]
@group(0) @binding(3) var<storage, read> rw_mse: array<vec4<f32>>;          // [B]

@compute @workgroup_size(WG)
fn rewards(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let b = flat_index(gid, nwg, WG);
  if (b >= u.B) {
    return;
  }
  let s = rw_mse[b];
  chosen_rewards[b] = -0.5 * u.beta * (s.x - s.z);
  rejected_rewards[b] = -0.5 * u.beta * (s.y - s.w);
}

// ---- grad: dmodel[b, j] += SIGN * coef_b * (model[b, j] - target[b, j]) (`target` is a WGSL reserved word) ----
@group(0) @binding(1) var<storage, read_write> dmodel: array<f32>;  // [B, D]
@group(0) @binding(2) var<storage, read> grad_mse: array<vec4<f32>>; // [B]
@group(0) @binding(3) var<storage, read> model: array<f32>;         // [B, D]
@group(0) @binding(4) var<storage, read> tgt: array<f32>;           // [B, D]

@compute @workgroup_size(WG)
fn grad(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, WG);
  if (i >= u.B * u.D) {
    return;
  }
  // d loss / d model_chosen = sig(-x) * 0.5 beta * 2 (model - target) / D, over the mean's B.
  let coef = sigmoid_f32(-inside(grad_mse[i / u.D])) * u.beta / (f32(u.B) * f32(u.D));
  dmodel[i] = dmodel[i] + SIGN * coef * (model[i] - tgt[i]);
}
