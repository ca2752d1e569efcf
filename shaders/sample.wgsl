// Categorical sampling, one workgroup per row of logits: inverse CDF of one Philox uniform over the softmax at a
// temperature, with a fixed-order scan of per-lane chunk sums (deterministic), and an optional absorbing end token.

// #include rows

struct Params {
  B: u32,
  T: u32,
  V: u32,
  t: u32,         // column of tokens written
  inv_temp: f32,  // 1 / temperature
  seed_lo: u32,
  seed_hi: u32,
  stream: u32,
  stop: i32,      // absorbing end token, -1 for none
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read_write> tokens: array<i32>; // [B, T]
@group(0) @binding(2) var<storage, read> logits: array<f32>;       // [B, V]
@group(0) @binding(3) var<storage, read> clock: array<u32>;        // [1]

var<workgroup> scan: array<f32, WG>;
var<workgroup> pick: atomic<u32>;
var<workgroup> last: atomic<u32>;

@compute @workgroup_size(WG)
fn main(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(num_workgroups) nwg: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let b = flat_group(wid, nwg);
  if (b >= u.B) {
    return;
  }
  let base = b * u.V;
  if (lid == 0u) {
    atomicStore(&pick, u.V);
    atomicStore(&last, 0u);
  }
  // Row max of the tempered logits.
  var m = -0x1.fffffep+127f;
  for (var j = lid; j < u.V; j = j + WG) {
    m = max(m, logits[base + j] * u.inv_temp);
  }
  m = row_max(lid, m);
  // Each lane owns a contiguous chunk; an inclusive scan of the chunk sums orders the chunks. A scan, not a tree sum
  // of rows.wgsl: every lane needs the mass before its own chunk, not only the row's total.
  let L = (u.V + WG - 1u) / WG;
  let lo = min(lid * L, u.V);
  let hi = min(lo + L, u.V);
  var s_own = 0.0;
  for (var j = lo; j < hi; j = j + 1u) {
    s_own = s_own + exp(logits[base + j] * u.inv_temp - m);
  }
  scan[lid] = s_own;
  workgroupBarrier();
  for (var off = 1u; off < WG; off = off << 1u) {
    var add = 0.0;
    if (lid >= off) {
      add = scan[lid - off];
    }
    workgroupBarrier();
    scan[lid] = scan[lid] + add;
    workgroupBarrier();
  }
  let w = philox4x32_10(vec4<u32>(b, u.stream, clock[0], u.t), vec2<u32>(u.seed_lo, u.seed_hi));
  let target_mass = bits_to_uniform(w.x) * scan[WG - 1u];
  var acc = 0.0;
  if (lid > 0u) {
    acc = scan[lid - 1u];
  }
  var found = false;
  for (var j = lo; j < hi; j = j + 1u) {
    let e = exp(logits[base + j] * u.inv_temp - m);
    acc = acc + e;
    if (e > 0.0) {
      atomicMax(&last, j);
    }
    if (!found && acc > target_mass) {
      atomicMin(&pick, j);
      found = true;
    }
  }
  workgroupBarrier();
  if (lid == 0u) {
    // Rounding can leave the target at the very top: the last token with any mass takes it then.
    var k = atomicLoad(&pick);
    if (k >= u.V) {
      k = atomicLoad(&last);
    }
    var tok = i32(k);
    if (u.stop >= 0 && u.t > 0u && tokens[b * u.T + u.t - 1u] == u.stop) {
      tok = u.stop;
    }
    tokens[b * u.T + u.t] = tok;
  }
}
