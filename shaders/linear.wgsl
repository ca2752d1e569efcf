// Bias gradient of the linear layer: db[o] += sum over rows of dy[n, o], a deterministic tree sum per column.
// #include rows

struct Params {
  N: u32,   // rows
  OUT: u32, // columns
  _pad0: u32,
  _pad1: u32,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read_write> db: array<f32>; // [OUT]
@group(0) @binding(2) var<storage, read> dy: array<f32>;       // [N, OUT]

// A workgroup owns COLS adjacent columns (coalesced row reads) and splits the rows over WG / COLS lanes.
@compute @workgroup_size(WG)
fn bias_grad(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) t: u32,
) {
  let lanes = WG / COLS;
  let lane = t / COLS;
  let o = col_index(wid, nwg, t);
  var s = 0.0;
  if (o < u.OUT) {
    for (var n = lane; n < u.N; n = n + lanes) {
      s = s + dy[n * u.OUT + o];
    }
  }
  let total = col_sum(t, s);
  if (lane == 0u && o < u.OUT) {
    db[o] = db[o] + total;
  }
}
