// Preference losses (TRL dpo_loss conventions): per-pair losses, their mean, rewards, and the mean's gradient (+=).
// #include rows

// The loss's code and reward rule, from PREFERENCE_LOSSES (src/engine/preference_losses.ts): 0 sigmoid, 1 robust,
// 2 hinge, 3 ipo, 4 sppo_hard, 5 nca_pair, 6 apo_zero, 7 simpo. A code with no case below gives NaN.
override LOSS: u32 = 0u;
// When set, rewards are beta times the policy log-probs, not the log-ratios.
override REFERENCE_FREE: bool = false;

struct Params {
  B: u32,
  beta: f32,
  eps: f32,   // label_smoothing: cDPO / SimPO smoothing, rDPO flip rate
  gamma: f32, // SimPO target margin
}

@group(0) @binding(0) var<uniform> u: Params;
// Inputs take the first bindings in every entry point so that all three share these declarations and pair().
@group(0) @binding(1) var<storage, read> policy_chosen: array<f32>;    // [B]
@group(0) @binding(2) var<storage, read> policy_rejected: array<f32>;  // [B]
@group(0) @binding(3) var<storage, read> ref_chosen: array<f32>;       // [B]
@group(0) @binding(4) var<storage, read> ref_rejected: array<f32>;     // [B]
// main and forward
@group(0) @binding(5) var<storage, read_write> losses: array<f32>;           // [B]
@group(0) @binding(6) var<storage, read_write> loss: array<f32>;             // [1]
@group(0) @binding(7) var<storage, read_write> chosen_rewards: array<f32>;   // [B]
@group(0) @binding(8) var<storage, read_write> rejected_rewards: array<f32>; // [B]
// The gradients are accumulated (+=), as every backward kernel's are; the caller zeroes them.
// main (fused: needs 10 storage buffers per stage)
@group(0) @binding(9) var<storage, read_write> d_chosen: array<f32>;    // [B]
@group(0) @binding(10) var<storage, read_write> d_rejected: array<f32>; // [B]
// backward (with forward, for devices limited to 8 storage buffers per stage)
@group(0) @binding(5) var<storage, read_write> bd_chosen: array<f32>;   // [B]
@group(0) @binding(6) var<storage, read_write> bd_rejected: array<f32>; // [B]

struct Pair {
  loss: f32,
  chosen_reward: f32,
  rejected_reward: f32,
  // d loss / d policy log-probs of this pair (not yet divided by B)
  d_chosen: f32,
  d_rejected: f32,
}

// -(1-eps) logsig(z) - eps logsig(-z) and its derivative in z (sigmoid, simpo).
fn smoothed(z: f32) -> vec2<f32> {
  let e = u.eps;
  return vec2<f32>(
    -(1.0 - e) * log_sigmoid(z) - e * log_sigmoid(-z),
    -(1.0 - e) * sigmoid_f32(-z) + e * sigmoid_f32(z),
  );
}

// A pair whose loss depends on h alone: dh/dpc = 1, dh/dpr = -1.
fn of_h(p: Pair, loss: f32, dh: f32) -> Pair {
  var q = p;
  q.loss = loss;
  q.d_chosen = dh;
  q.d_rejected = -dh;
  return q;
}

fn pair(i: u32) -> Pair {
  let pc = policy_chosen[i];
  let pr = policy_rejected[i];
  let rc = ref_chosen[i];
  let rr = ref_rejected[i];
  let beta = u.beta;
  let e = u.eps;
  let a = pc - rc; // chosen log-ratio
  let b = pr - rr; // rejected log-ratio
  let h = (pc - pr) - (rc - rr);
  // The reference as the rewards see it.
  let rwc = select(rc, 0.0, REFERENCE_FREE);
  let rwr = select(rr, 0.0, REFERENCE_FREE);
  var p = Pair(0.0, beta * (pc - rwc), beta * (pr - rwr), 0.0, 0.0);
  switch LOSS {
    case 0u: {
      let s = smoothed(beta * h);
      p = of_h(p, s.x, beta * s.y);
    }
    case 1u: {
      let z = beta * h;
      let k = 1.0 / (1.0 - 2.0 * e);
      p = of_h(
        p,
        (-(1.0 - e) * log_sigmoid(z) + e * log_sigmoid(-z)) * k,
        beta * (-(1.0 - e) * sigmoid_f32(-z) - e * sigmoid_f32(z)) * k,
      );
    }
    case 2u: {
      let m = 1.0 - beta * h;
      // relu'(0) = 0, as in PyTorch.
      p = of_h(p, max(m, 0.0), select(0.0, -beta, m > 0.0));
    }
    case 3u: {
      let d = h - 0.5 / beta;
      p = of_h(p, d * d, 2.0 * d);
    }
    case 4u: {
      let dc = a - 0.5 / beta;
      let dr = b + 0.5 / beta;
      p.loss = dc * dc + dr * dr;
      p.d_chosen = 2.0 * dc;
      p.d_rejected = 2.0 * dr;
    }
    case 5u: {
      let cw = beta * a;
      let cl = beta * b;
      p.loss = -log_sigmoid(cw) - 0.5 * log_sigmoid(-cw) - 0.5 * log_sigmoid(-cl);
      p.d_chosen = beta * (0.5 * sigmoid_f32(cw) - sigmoid_f32(-cw));
      p.d_rejected = 0.5 * beta * sigmoid_f32(cl);
    }
    case 6u: {
      // 1 - sig(x) is sig(-x): no cancellation when sig(x) is near 1.
      let sw = sigmoid_f32(beta * a);
      let sl = sigmoid_f32(beta * b);
      let nw = sigmoid_f32(-beta * a);
      let nl = sigmoid_f32(-beta * b);
      p.loss = nw + sl;
      p.d_chosen = -beta * sw * nw;
      p.d_rejected = beta * sl * nl;
    }
    case 7u: {
      // simpo: h' = pc - pr - gamma/beta, the (length-averaged) policy log-probs alone.
      let s = smoothed(beta * (pc - pr) - u.gamma);
      p = of_h(p, s.x, beta * s.y);
    }
    default: {
      // A runtime NaN (a const-expression NaN is a shader-creation error): loudly wrong, never another loss.
      let bits = 0x7fc00000u;
      let nan = bitcast<f32>(bits);
      p.loss = nan;
      p.d_chosen = nan;
      p.d_rejected = nan;
    }
  }
  return p;
}

fn store_forward(i: u32, p: Pair) {
  losses[i] = p.loss;
  chosen_rewards[i] = p.chosen_reward;
  rejected_rewards[i] = p.rejected_reward;
}

// One workgroup walks the batch (TPR = WG): the per-thread partial sums meet in the row tree; thread 0 writes the mean.
fn write_mean(lid: u32, acc: f32) {
  let total = row_sum(lid, acc);
  if (lid == 0u) {
    loss[0] = total / f32(u.B);
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  let inv_b = 1.0 / f32(u.B);
  var acc = 0.0;
  for (var i = lid; i < u.B; i = i + WG) {
    let p = pair(i);
    store_forward(i, p);
    d_chosen[i] = d_chosen[i] + p.d_chosen * inv_b;
    d_rejected[i] = d_rejected[i] + p.d_rejected * inv_b;
    acc = acc + p.loss;
  }
  write_mean(lid, acc);
}

@compute @workgroup_size(WG)
fn forward(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = lid; i < u.B; i = i + WG) {
    let p = pair(i);
    store_forward(i, p);
    acc = acc + p.loss;
  }
  write_mean(lid, acc);
}

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, WG);
  if (i >= u.B) {
    return;
  }
  let p = pair(i);
  let inv_b = 1.0 / f32(u.B);
  bd_chosen[i] = bd_chosen[i] + p.d_chosen * inv_b;
  bd_rejected[i] = bd_rejected[i] + p.d_rejected * inv_b;
}
