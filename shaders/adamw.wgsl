// One torch.optim.AdamW step over a flat buffer; the step count t is read from the device (step[0], 1 first).

override WG: u32 = 256;

struct Params {
  lr: f32,
  beta1: f32,
  beta2: f32,
  one_minus_beta1: f32, // computed in float64 on the host: 1 - f32(0.999) would be off by 1e-5 relative
  one_minus_beta2: f32,
  ln_beta1: f32, // 1 - beta^t is computed from t ln beta (see one_minus_exp)
  ln_beta2: f32,
  eps: f32,
  decay: f32, // 1 - lr * weight_decay
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read_write> m: array<f32>;
@group(0) @binding(3) var<storage, read_write> v: array<f32>;
@group(0) @binding(4) var<storage, read> grad: array<f32>;
@group(0) @binding(5) var<storage, read> step: array<u32>;

// 1 - beta^t = -expm1(x), x = t ln beta <= 0, accurate also when beta^t is near 1 (beta2 = 0.999 early on),
// where 1 - exp(x) cancels. WGSL has no expm1, and exp/log near 1 may be off by 1e-6 absolute.
fn one_minus_exp(x: f32) -> f32 {
  if (x < -0.5) {
    return 1.0 - exp(x);
  }
  // Taylor in Horner form, x (1 + x/2 (1 + x/3 (...))): at |x| <= 0.5 the terms past x^10/10! are below f32.
  var p = 1.0;
  for (var k = 10.0; k >= 2.0; k = k - 1.0) {
    p = 1.0 + x * p / k;
  }
  return -x * p;
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, WG);
  if (i >= arrayLength(&param)) {
    return;
  }
  let t = f32(step[0]);
  let bias1 = one_minus_exp(t * u.ln_beta1);
  let bias2 = one_minus_exp(t * u.ln_beta2);
  let g = grad[i];
  let mi = u.beta1 * m[i] + u.one_minus_beta1 * g;
  let vi = u.beta2 * v[i] + u.one_minus_beta2 * g * g;
  m[i] = mi;
  v[i] = vi;
  // PyTorch's order: decoupled decay first, then p -= (lr / bias1) m / (sqrt(v) / sqrt(bias2) + eps).
  let p = param[i] * u.decay;
  param[i] = p - (u.lr / bias1) * mi / (sqrt(vi) / sqrt(bias2) + u.eps);
}
