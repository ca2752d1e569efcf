// Distillation divergences (TRL GKD generalized_jsd_loss conventions) between softmax(student/T) and softmax(teacher/T),
// masked mean over rows, and the gradient w.r.t. the student logits, all in log space.

// #include rows

override KIND: u32 = 0u; // 0 forward_kl KL(pt||ps), 1 reverse_kl KL(ps||pt), 2 jsd

struct Params {
  R: u32,
  V: u32,
  inv_t: f32, // 1 / temperature
  beta: f32,  // jsd: m = beta pt + (1 - beta) ps
  scale: f32, // T^2 with scale_t2, else 1
}

@group(0) @binding(0) var<uniform> u: Params;

// The divergence computed: TRL's generalized JSD is forward KL at beta = 0 and reverse KL at beta = 1, where the
// mixture m would equal one of the two distributions and the JSD vanish.
fn divergence() -> u32 {
  if (KIND == 2u && u.beta == 0.0) {
    return 0u;
  }
  if (KIND == 2u && u.beta == 1.0) {
    return 1u;
  }
  return KIND;
}

// log m = log(beta pt + (1 - beta) ps) as a log-sum-exp, 0 < beta < 1.
fn log_mix(ls: f32, lt: f32) -> f32 {
  let a = log(u.beta) + lt;
  let b = log(1.0 - u.beta) + ls;
  return max(a, b) + log1p_f32(exp(-abs(a - b)));
}

// ---- rows, rows_grad: TPR lanes per row ----
// scratch[r] = mask[r] * divergence of row r; scratch[R] is the gradient coefficient written by norm.
@group(0) @binding(1) var<storage, read> student: array<f32>;        // [R, V]
@group(0) @binding(2) var<storage, read> teacher: array<f32>;        // [R, V]
@group(0) @binding(3) var<storage, read> mask: array<f32>;           // [R]
@group(0) @binding(4) var<storage, read_write> scratch: array<f32>;  // [R + 1]
@group(0) @binding(5) var<storage, read_write> dstudent: array<f32>; // [R, V], rows_grad only

struct Row {
  row: u32,
  lane: u32,
  w: f32,      // mask[row], 0 past R
  n: u32,      // elements to visit: V, or 0 for rows that contribute nothing (they still reach the barriers)
  base: u32,
  lse: vec2<f32>, // log-sum-exp of student/T, teacher/T
  div: vec2<f32>, // (divergence, the gradient's centering term: the divergence (reverse), KL(ps||m) (jsd))
}

fn row_stats(lid: u32, row: u32) -> Row {
  var o: Row;
  o.row = row;
  o.lane = lid % TPR;
  o.w = 0.0;
  if (o.row < u.R) {
    o.w = mask[o.row];
  }
  o.n = select(0u, u.V, o.w != 0.0);
  o.base = o.row * u.V;
  var s = LSE_EMPTY;
  var t = LSE_EMPTY;
  for (var j = o.lane; j < o.n; j = j + TPR) {
    s = lse_add(s, student[o.base + j] * u.inv_t);
    t = lse_add(t, teacher[o.base + j] * u.inv_t);
  }
  let st = row_lse2(lid, vec4<f32>(s, t));
  o.lse = vec2<f32>(st.x + log(st.y), st.z + log(st.w));
  // (divergence, sum of ps f with f the log-ratio the gradient centers, sum of ps)
  let kind = divergence();
  var acc = vec3<f32>(0.0, 0.0, 0.0);
  for (var j = o.lane; j < o.n; j = j + TPR) {
    let ls = student[o.base + j] * u.inv_t - o.lse.x;
    let lt = teacher[o.base + j] * u.inv_t - o.lse.y;
    let ps = exp(ls);
    if (kind == 0u) {
      acc.x = acc.x + exp(lt) * (lt - ls);
    } else if (kind == 1u) {
      let k = ps * (ls - lt);
      acc = acc + vec3<f32>(k, k, ps);
    } else {
      let lm = log_mix(ls, lt);
      let ks = ps * (ls - lm);
      acc = acc + vec3<f32>(u.beta * exp(lt) * (lt - lm) + (1.0 - u.beta) * ks, ks, ps);
    }
  }
  let tot = row_sum4(lid, vec4<f32>(acc, 0.0));
  // The gradient subtracts sum(ps f) / sum(ps): equal to sum(ps f) exactly, but with float32's sum(ps) != 1 the
  // uncentered form leaves ps_j f (sum(ps) - 1) behind, large when f is hundreds of nats.
  o.div = vec2<f32>(tot.x, select(0.0, tot.y / tot.z, tot.z > 0.0));
  if (o.lane == 0u && o.row < u.R) {
    scratch[o.row] = o.w * o.div.x;
  }
  return o;
}

@compute @workgroup_size(WG)
fn rows(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  row_stats(lid, row_index(wid, nwg, lid));
}

// d row / d z_j (z = student/T) is ps_j - pt_j (forward), ps_j (ls_j - lt_j - row) (reverse),
// (1 - beta) ps_j (ls_j - lm_j - KL(ps||m)) (jsd); times mask[r] * scale / (T sum(mask)).
@compute @workgroup_size(WG)
fn rows_grad(
  @builtin(local_invocation_index) lid: u32,
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
) {
  let o = row_stats(lid, row_index(wid, nwg, lid));
  let coef = o.w * scratch[u.R];
  let kind = divergence();
  for (var j = o.lane; j < o.n; j = j + TPR) {
    let ls = student[o.base + j] * u.inv_t - o.lse.x;
    let lt = teacher[o.base + j] * u.inv_t - o.lse.y;
    let ps = exp(ls);
    var g: f32;
    if (kind == 0u) {
      g = ps - exp(lt);
    } else if (kind == 1u) {
      g = ps * (ls - lt - o.div.y);
    } else {
      g = (1.0 - u.beta) * ps * (ls - log_mix(ls, lt) - o.div.y);
    }
    dstudent[o.base + j] = dstudent[o.base + j] + coef * g;
  }
}

// ---- norm, finish: one workgroup (TPR = WG) over the R rows ----
@group(0) @binding(1) var<storage, read_write> norm_scratch: array<f32>; // [R + 1]
@group(0) @binding(2) var<storage, read> norm_mask: array<f32>;         // [R]

@group(0) @binding(1) var<storage, read_write> loss: array<f32>;  // [1]
@group(0) @binding(2) var<storage, read> fin_scratch: array<f32>; // [R + 1]
@group(0) @binding(3) var<storage, read> fin_mask: array<f32>;    // [R]

// scratch[R] = scale / (T sum(mask)), read by rows_grad; 0 when every row is masked out.
@compute @workgroup_size(WG)
fn norm(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var r = lid; r < u.R; r = r + WG) {
    acc = acc + norm_mask[r];
  }
  let total = row_sum4(lid, vec4<f32>(acc, 0.0, 0.0, 0.0)).x;
  if (lid == 0u) {
    norm_scratch[u.R] = select(0.0, u.scale * u.inv_t / total, total != 0.0);
  }
}

// loss = scale * sum(mask * row) / sum(mask); 0 when every row is masked out.
@compute @workgroup_size(WG)
fn finish(@builtin(local_invocation_index) lid: u32) {
  var acc = vec2<f32>(0.0, 0.0);
  for (var r = lid; r < u.R; r = r + WG) {
    acc = acc + vec2<f32>(fin_scratch[r], fin_mask[r]);
  }
  let total = row_sum4(lid, vec4<f32>(acc, 0.0, 0.0)).xy;
  if (lid == 0u) {
    loss[0] = select(0.0, u.scale * total.x / total.y, total.y != 0.0);
  }
}
