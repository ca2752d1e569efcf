// Layer normalization over the last axis of [R, C] (biased variance, as torch layer_norm) and its backward: row
// statistics with TPR invocations per row, and a column reduction for dgamma / dbeta in a fixed order.
// #include rows

struct Params {
  R: u32,
  C: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> u: Params;

// ---- forward: y = (x - mean) * rstd * gamma + beta ----
@group(0) @binding(1) var<storage, read_write> y: array<f32>;    // [R, C]
@group(0) @binding(2) var<storage, read_write> mean: array<f32>; // [R]
@group(0) @binding(3) var<storage, read_write> rstd: array<f32>; // [R]
@group(0) @binding(4) var<storage, read> x: array<f32>;          // [R, C]
@group(0) @binding(5) var<storage, read> gamma: array<f32>;      // [C]
@group(0) @binding(6) var<storage, read> beta: array<f32>;       // [C]

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
  var s = 0.0;
  for (var c = lane; c < n; c = c + TPR) {
    s = s + x[base + c];
  }
  let m0 = row_sum(lid, s) / f32(u.C);
  // Every lane has read the total before the next reduction reuses the workgroup memory.
  workgroupBarrier();
  // Second pass about the first mean, with its rounding error removed by the corrected two-pass formula
  // var = (sum d^2 - (sum d)^2 / C) / C: a mean of 50 with a spread of 3 keeps its digits (E[x^2] - E[x]^2 does not).
  var acc = vec2<f32>(0.0);
  for (var c = lane; c < n; c = c + TPR) {
    let d = x[base + c] - m0;
    acc = acc + vec2<f32>(d, d * d);
  }
  let t = row_sum2(lid, acc);
  let cf = f32(u.C);
  let dm = t.x / cf;
  let rs = inverseSqrt(max(t.y - t.x * dm, 0.0) / cf + u.eps);
  if (row < u.R && lane == 0u) {
    mean[row] = m0 + dm;
    rstd[row] = rs;
  }
  // (x - m0) - dm, not x - (m0 + dm): the rounded mean of a row about 1e4 is off by up to 5e-4, the difference is not.
  for (var c = lane; c < n; c = c + TPR) {
    y[base + c] = ((x[base + c] - m0) - dm) * rs * gamma[c] + beta[c];
  }
}

// ---- backward, rows: dx += rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * gamma ----
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;  // [R, C]
@group(0) @binding(2) var<storage, read> dy: array<f32>;        // [R, C]
@group(0) @binding(3) var<storage, read> bx: array<f32>;        // [R, C]
@group(0) @binding(4) var<storage, read> bgamma: array<f32>;    // [C]
@group(0) @binding(5) var<storage, read> bmean: array<f32>;     // [R]
@group(0) @binding(6) var<storage, read> brstd: array<f32>;     // [R]

@compute @workgroup_size(WG)
fn backward_x(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = row_index(wid, nwg, lid);
  let lane = lid % TPR;
  let n = select(0u, u.C, row < u.R);
  let base = row * u.C;
  let r = min(row, u.R - 1u);
  let m = bmean[r];
  let rs = brstd[r];
  var acc = vec2<f32>(0.0);
  for (var c = lane; c < n; c = c + TPR) {
    let g = dy[base + c] * bgamma[c];
    acc = acc + vec2<f32>(g, g * (bx[base + c] - m) * rs);
  }
  let t = row_sum2(lid, acc) / f32(u.C);
  for (var c = lane; c < n; c = c + TPR) {
    let i = base + c;
    let xhat = (bx[i] - m) * rs;
    dx[i] = dx[i] + (dy[i] * bgamma[c] - t.x - xhat * t.y) * rs;
  }
}

// ---- backward, columns: dgamma += colsum(dy * xhat), dbeta += colsum(dy) ----
@group(0) @binding(1) var<storage, read_write> dgamma: array<f32>; // [C]
@group(0) @binding(2) var<storage, read_write> dbeta: array<f32>;  // [C]
@group(0) @binding(3) var<storage, read> cdy: array<f32>;          // [R, C]
@group(0) @binding(4) var<storage, read> cx: array<f32>;           // [R, C]
@group(0) @binding(5) var<storage, read> cmean: array<f32>;        // [R]
@group(0) @binding(6) var<storage, read> crstd: array<f32>;        // [R]

// A workgroup serves COLS columns with WG / COLS lanes each; lane l sums rows l, l + WG / COLS, ... in order, then
// the column tree of rows.wgsl.
@compute @workgroup_size(WG)
fn backward_params(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let lanes = WG / COLS;
  let lane = lid / COLS;
  let c = col_index(wid, nwg, lid);
  var acc = vec2<f32>(0.0);
  if (c < u.C) {
    for (var r = lane; r < u.R; r = r + lanes) {
      let g = cdy[r * u.C + c];
      acc = acc + vec2<f32>(g * (cx[r * u.C + c] - cmean[r]) * crstd[r], g);
    }
  }
  let t = col_sum2(lid, acc);
  if (lane == 0u && c < u.C) {
    dgamma[c] = dgamma[c] + t.x;
    dbeta[c] = dbeta[c] + t.y;
  }
}
