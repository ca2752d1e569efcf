// Pointwise activations (relu, gelu tanh-approximation, silu, tanh) and their backward, finite for any finite x.

override WG: u32 = 256;
override KIND: u32 = 0; // 0: relu, 1: gelu (tanh approximation, as PyTorch), 2: silu, 3: tanh

const GELU_BETA: f32 = 0.7978845608028654; // sqrt(2 / pi)
const GELU_KAPPA: f32 = 0.044715;

// tanh saturates to +-1 in f32 beyond |x| = 9.1: clamping gives the same values and keeps every
// implementation's exp away from overflow (exp(2x)/exp(2x) is NaN on some drivers).
fn tanh_safe(x: f32) -> f32 {
  return tanh(clamp(x, -10.0, 10.0));
}

// PyTorch's 0.5 x (1 + tanh(z)), z = sqrt(2/pi) (x + 0.044715 x^3), is x sigmoid(2z): the same function, but
// 1 + tanh(z) near -1 cancels in f32 while sigmoid keeps its digits in both tails. Past |x| = 12 sigmoid(2z) is
// exactly 0 or 1, so clamping x here changes nothing and keeps x^3 finite.
fn gelu_2z(x: f32) -> f32 {
  let xc = clamp(x, -100.0, 100.0);
  return 2.0 * GELU_BETA * (xc + GELU_KAPPA * xc * xc * xc);
}

fn act(x: f32) -> f32 {
  switch KIND {
    case 0u: {
      return max(x, 0.0);
    }
    case 1u: {
      return x * sigmoid_f32(gelu_2z(x));
    }
    case 2u: {
      return x * sigmoid_f32(x);
    }
    default: {
      return tanh_safe(x);
    }
  }
}

// f'(x). 1 - sigmoid(a) is taken as sigmoid(-a) and 1 - tanh(x)^2 as 4 sigmoid(2x) sigmoid(-2x), which do not
// cancel; products with x are formed last so that x = 3e38 meets an exact 0 rather than overflowing first.
fn act_grad(x: f32) -> f32 {
  switch KIND {
    case 0u: {
      return select(0.0, 1.0, x > 0.0);
    }
    case 1u: {
      let a = gelu_2z(x);
      let s = sigmoid_f32(a);
      let xc = clamp(x, -100.0, 100.0);
      let w = s * sigmoid_f32(-a) * GELU_BETA * (1.0 + 3.0 * GELU_KAPPA * xc * xc);
      return s + 2.0 * (w * x);
    }
    case 2u: {
      let s = sigmoid_f32(x);
      return s + x * (s * sigmoid_f32(-x));
    }
    default: {
      return 4.0 * sigmoid_f32(2.0 * x) * sigmoid_f32(-2.0 * x);
    }
  }
}

// ---- forward: y = f(x) ----
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;

@compute @workgroup_size(WG)
fn forward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, WG);
  if (i < arrayLength(&x)) {
    y[i] = act(x[i]);
  }
}

// ---- backward: dx += dy f'(x) ----
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> bx: array<f32>;

@compute @workgroup_size(WG)
fn backward(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, WG);
  if (i < arrayLength(&bx)) {
    dx[i] = dx[i] + dy[i] * act_grad(bx[i]);
  }
}
