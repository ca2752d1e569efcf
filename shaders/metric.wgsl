// Per-step metrics kept on the device: a batch reduction written into a history row chosen by the step clock.

// #include rows

override MODE: u32 = 0u; // 0: mean(a), 1: mean(a - b), 2: mean(a > b)

struct Params {
  n: u32,    // elements of a (and b)
  slot: u32, // column of this metric in the history
  M: u32,    // metrics per history row
  rows: u32, // history rows (the read-back period)
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read_write> history: array<f32>; // [rows, M]
@group(0) @binding(2) var<storage, read> a: array<f32>;             // [n]
@group(0) @binding(3) var<storage, read> b: array<f32>;             // [n]
@group(0) @binding(4) var<storage, read> clock: array<u32>;         // [1]

fn term(i: u32) -> f32 {
  if (MODE == 1u) {
    return a[i] - b[i];
  }
  if (MODE == 2u) {
    return select(0.0, 1.0, a[i] > b[i]);
  }
  return a[i];
}

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = lid; i < u.n; i = i + WG) {
    acc = acc + term(i);
  }
  let total = row_sum(lid, acc);
  if (lid == 0u) {
    history[(clock[0] % u.rows) * u.M + u.slot] = total / f32(u.n);
  }
}
