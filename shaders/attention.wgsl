// Fused scaled dot-product attention over [B, H, T, D] (FlashAttention style) and its backward. The forward walks
// key/value tiles with an online softmax (running max and sum), so the [T, T] scores never leave workgroup memory,
// and saves each row's log-sum-exp; the backward recomputes the probabilities tile by tile from it, one kernel
// owning a block of keys (dk, dv) and one a block of queries (dq), so every gradient element has one writer.

struct Params {
  T: u32,     // sequence length
  scale: f32, // 1 / sqrt(D)
  rows: u32,  // B * H * T
}

@group(0) @binding(0) var<uniform> u: Params;

override D: u32 = 32u;         // head size
override BR: u32 = 16u;        // query rows per tile
override BC: u32 = 16u;        // keys per tile
override CAUSAL: bool = false; // key j > query i is masked
// Whether the two operands that take turns in a tile (keys and values; queries and output gradients) get one
// region each, or share one and are loaded in turn: large heads only fit the 16 KiB of workgroup memory that way.
override SPLIT: bool = true;
override DS: u32 = D + 1u;     // row stride of a tile in workgroup memory: the pad spreads columns over banks
override NQ: u32 = BR * DS;
override NK: u32 = BC * DS;
override NKV: u32 = select(NK, 2u * NK, SPLIT);
override NQO: u32 = select(NQ, 2u * NQ, SPLIT);
override NS: u32 = BR * BC;

// Register slices of a tile row: lane l of a row owns columns l, l + lanes, ... (at most 16: D <= 128, lanes >= 8).
const MAX_SLICE = 16u;
// The score of a masked pair: below every real score, and exp(NEG - m) never computes inf - inf.
const NEG = -0x1.fffffep+127f;

fn visible(i: u32, j: u32) -> bool {
  return i < u.T && j < u.T && (!CAUSAL || j <= i);
}

// ---- forward: out = softmax(scale q k^T) v, lse = log-sum-exp of each row of scale q k^T ----
@group(0) @binding(1) var<storage, read_write> out: array<f32>; // [B, H, T, D]
@group(0) @binding(2) var<storage, read_write> lse: array<f32>; // [B, H, T]
@group(0) @binding(3) var<storage, read> q: array<f32>;         // [B, H, T, D]
@group(0) @binding(4) var<storage, read> k: array<f32>;         // [B, H, T, D]
@group(0) @binding(5) var<storage, read> v: array<f32>;         // [B, H, T, D]

var<workgroup> f_q: array<f32, NQ>;
var<workgroup> f_kv: array<f32, NKV>; // keys at 0, values at NK when SPLIT, else values over the keys
var<workgroup> f_s: array<f32, NS>;

// Workgroup (x: query tile, y: b * H + h); invocation (i, j) = (lid / BC, lid % BC) scores query q0 + i against key
// k0 + j, and owns columns j, j + BC, ... of output row i.
@compute @workgroup_size(BR * BC)
fn forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let base = wid.y * u.T * D;
  let q0 = wid.x * BR;
  let i = lid / BC;
  let j = lid % BC;
  let qi = q0 + i;
  for (var e = lid; e < BR * D; e = e + BR * BC) {
    let t = q0 + e / D;
    var x = 0.0;
    if (t < u.T) {
      x = q[base + t * D + e % D];
    }
    f_q[(e / D) * DS + e % D] = x;
  }
  var m = NEG;
  var l = 0.0;
  var acc: array<f32, MAX_SLICE>;
  let voff = select(0u, NK, SPLIT);
  let end = select(u.T, min(u.T, q0 + BR), CAUSAL);
  for (var k0 = 0u; k0 < end; k0 = k0 + BC) {
    for (var e = lid; e < BC * D; e = e + BR * BC) {
      let t = k0 + e / D;
      let at = (e / D) * DS + e % D;
      var kx = 0.0;
      var vx = 0.0;
      if (t < u.T) {
        kx = k[base + t * D + e % D];
        vx = v[base + t * D + e % D];
      }
      f_kv[at] = kx;
      if (SPLIT) {
        f_kv[NK + at] = vx;
      }
    }
    workgroupBarrier();
    var s = 0.0;
    for (var d = 0u; d < D; d = d + 1u) {
      s = fma(f_q[i * DS + d], f_kv[j * DS + d], s);
    }
    f_s[i * BC + j] = select(NEG, s * u.scale, visible(qi, k0 + j));
    workgroupBarrier();
    if (!SPLIT) {
      for (var e = lid; e < BC * D; e = e + BR * BC) {
        let t = k0 + e / D;
        var vx = 0.0;
        if (t < u.T) {
          vx = v[base + t * D + e % D];
        }
        f_kv[(e / D) * DS + e % D] = vx;
      }
      workgroupBarrier();
    }
    // Every reduction in this file runs inside one invocation in index order (here each lane of row i walks the
    // row's BC scores itself): there are no lanes to merge, so none of the trees of rows.wgsl.
    var mt = NEG;
    for (var jj = 0u; jj < BC; jj = jj + 1u) {
      mt = max(mt, f_s[i * BC + jj]);
    }
    let mn = max(m, mt);
    let alpha = exp(m - mn);
    l = l * alpha;
    for (var c = 0u; c * BC < D; c = c + 1u) {
      acc[c] = acc[c] * alpha;
    }
    for (var jj = 0u; jj < BC; jj = jj + 1u) {
      let sv = f_s[i * BC + jj];
      let p = select(0.0, exp(sv - mn), sv > NEG);
      l = l + p;
      for (var c = 0u; c * BC < D; c = c + 1u) {
        let d = j + c * BC;
        if (d < D) {
          acc[c] = fma(p, f_kv[voff + jj * DS + d], acc[c]);
        }
      }
    }
    m = mn;
    workgroupBarrier();
  }
  if (qi < u.T) {
    let inv = 1.0 / l;
    for (var c = 0u; c * BC < D; c = c + 1u) {
      let d = j + c * BC;
      if (d < D) {
        out[base + qi * D + d] = acc[c] * inv;
      }
    }
    if (j == 0u) {
      lse[wid.y * u.T + qi] = m + log(l);
    }
  }
}

// ---- backward, step 1: delta[row] = sum_d dout[row, d] * out[row, d] ----
@group(0) @binding(1) var<storage, read_write> delta: array<f32>; // [B, H, T]
@group(0) @binding(2) var<storage, read> pdout: array<f32>;       // [B, H, T, D]
@group(0) @binding(3) var<storage, read> pout: array<f32>;        // [B, H, T, D]

@compute @workgroup_size(64)
fn backward_delta(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = flat_index(gid, nwg, 64u);
  if (row >= u.rows) {
    return;
  }
  var s = 0.0;
  for (var d = 0u; d < D; d = d + 1u) {
    s = fma(pdout[row * D + d], pout[row * D + d], s);
  }
  delta[row] = s;
}

// ---- backward, step 2 (a block of keys): dv += p^T dout, dk += scale ds^T q, ds = p (dout v^T - delta) ----
@group(0) @binding(1) var<storage, read_write> dk: array<f32>;  // [B, H, T, D]
@group(0) @binding(2) var<storage, read_write> dv: array<f32>;  // [B, H, T, D]
@group(0) @binding(3) var<storage, read> kq: array<f32>;        // [B, H, T, D]
@group(0) @binding(4) var<storage, read> kkey: array<f32>;      // [B, H, T, D]
@group(0) @binding(5) var<storage, read> kval: array<f32>;      // [B, H, T, D]
@group(0) @binding(6) var<storage, read> kdout: array<f32>;     // [B, H, T, D]
@group(0) @binding(7) var<storage, read> klse: array<f32>;      // [B, H, T]
@group(0) @binding(8) var<storage, read> kdelta: array<f32>;    // [B, H, T]

var<workgroup> k_k: array<f32, NK>;
var<workgroup> k_v: array<f32, NK>;
var<workgroup> k_x: array<f32, NQO>; // queries at 0, output gradients at NQ when SPLIT, else in turn at 0
var<workgroup> k_p: array<f32, NS>;
var<workgroup> k_ds: array<f32, NS>;
var<workgroup> k_lse: array<f32, BR>;
var<workgroup> k_delta: array<f32, BR>;

fn load_kq(base: u32, q0: u32, lid: u32) {
  for (var e = lid; e < BR * D; e = e + BR * BC) {
    let t = q0 + e / D;
    var x = 0.0;
    if (t < u.T) {
      x = kq[base + t * D + e % D];
    }
    k_x[(e / D) * DS + e % D] = x;
  }
}

fn load_kdout(base: u32, q0: u32, lid: u32, at: u32) {
  for (var e = lid; e < BR * D; e = e + BR * BC) {
    let t = q0 + e / D;
    var x = 0.0;
    if (t < u.T) {
      x = kdout[base + t * D + e % D];
    }
    k_x[at + (e / D) * DS + e % D] = x;
  }
}

// Workgroup (x: key tile, y: b * H + h). Invocation (i, j) = (lid / BC, lid % BC) recomputes the pair (q0 + i,
// k0 + j); invocation (jk, r) = (lid / BR, lid % BR) owns columns r, r + BR, ... of key row jk's gradients.
@compute @workgroup_size(BR * BC)
fn backward_kv(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let base = wid.y * u.T * D;
  let k0 = wid.x * BC;
  let i = lid / BC;
  let j = lid % BC;
  let jk = lid / BR;
  let r = lid % BR;
  for (var e = lid; e < BC * D; e = e + BR * BC) {
    let t = k0 + e / D;
    var kx = 0.0;
    var vx = 0.0;
    if (t < u.T) {
      kx = kkey[base + t * D + e % D];
      vx = kval[base + t * D + e % D];
    }
    k_k[(e / D) * DS + e % D] = kx;
    k_v[(e / D) * DS + e % D] = vx;
  }
  var gk: array<f32, MAX_SLICE>;
  var gv: array<f32, MAX_SLICE>;
  let ooff = select(0u, NQ, SPLIT);
  // Queries above the block see none of its keys under the causal mask.
  let start = select(0u, (k0 / BR) * BR, CAUSAL);
  for (var q0 = start; q0 < u.T; q0 = q0 + BR) {
    load_kq(base, q0, lid);
    if (SPLIT) {
      load_kdout(base, q0, lid, NQ);
    }
    if (lid < BR) {
      let t = q0 + lid;
      var ls = 0.0;
      var dl = 0.0;
      if (t < u.T) {
        ls = klse[wid.y * u.T + t];
        dl = kdelta[wid.y * u.T + t];
      }
      k_lse[lid] = ls;
      k_delta[lid] = dl;
    }
    workgroupBarrier();
    var s = 0.0;
    for (var d = 0u; d < D; d = d + 1u) {
      s = fma(k_x[i * DS + d], k_k[j * DS + d], s);
    }
    let p = select(0.0, exp(s * u.scale - k_lse[i]), visible(q0 + i, k0 + j));
    k_p[i * BC + j] = p;
    if (!SPLIT) {
      workgroupBarrier();
      load_kdout(base, q0, lid, 0u);
      workgroupBarrier();
    }
    var dp = 0.0;
    for (var d = 0u; d < D; d = d + 1u) {
      dp = fma(k_x[ooff + i * DS + d], k_v[j * DS + d], dp);
    }
    k_ds[i * BC + j] = p * (dp - k_delta[i]);
    workgroupBarrier();
    for (var c = 0u; c * BR < D; c = c + 1u) {
      let d = r + c * BR;
      if (d < D) {
        var a = 0.0;
        for (var ii = 0u; ii < BR; ii = ii + 1u) {
          a = fma(k_p[ii * BC + jk], k_x[ooff + ii * DS + d], a);
        }
        gv[c] = gv[c] + a;
      }
    }
    if (!SPLIT) {
      workgroupBarrier();
      load_kq(base, q0, lid);
      workgroupBarrier();
    }
    for (var c = 0u; c * BR < D; c = c + 1u) {
      let d = r + c * BR;
      if (d < D) {
        var a = 0.0;
        for (var ii = 0u; ii < BR; ii = ii + 1u) {
          a = fma(k_ds[ii * BC + jk], k_x[ii * DS + d], a);
        }
        gk[c] = gk[c] + a;
      }
    }
    workgroupBarrier();
  }
  let kj = k0 + jk;
  if (kj < u.T) {
    for (var c = 0u; c * BR < D; c = c + 1u) {
      let d = r + c * BR;
      if (d < D) {
        let at = base + kj * D + d;
        dk[at] = dk[at] + gk[c] * u.scale;
        dv[at] = dv[at] + gv[c];
      }
    }
  }
}

// ---- backward, step 3 (a block of queries): dq += scale ds k ----
@group(0) @binding(1) var<storage, read_write> dq: array<f32>; // [B, H, T, D]
@group(0) @binding(2) var<storage, read> qq: array<f32>;       // [B, H, T, D]
@group(0) @binding(3) var<storage, read> qk: array<f32>;       // [B, H, T, D]
@group(0) @binding(4) var<storage, read> qv: array<f32>;       // [B, H, T, D]
@group(0) @binding(5) var<storage, read> qdout: array<f32>;    // [B, H, T, D]
@group(0) @binding(6) var<storage, read> qlse: array<f32>;     // [B, H, T]
@group(0) @binding(7) var<storage, read> qdelta: array<f32>;   // [B, H, T]

var<workgroup> q_q: array<f32, NQ>;
var<workgroup> q_o: array<f32, NQ>;
var<workgroup> q_kv: array<f32, NKV>; // values at 0, keys at NK when SPLIT, else keys over the values
var<workgroup> q_ds: array<f32, NS>;

fn load_qk(base: u32, k0: u32, lid: u32, at: u32) {
  for (var e = lid; e < BC * D; e = e + BR * BC) {
    let t = k0 + e / D;
    var x = 0.0;
    if (t < u.T) {
      x = qk[base + t * D + e % D];
    }
    q_kv[at + (e / D) * DS + e % D] = x;
  }
}

// Workgroup (x: query tile, y: b * H + h); invocation (i, j) = (lid / BC, lid % BC) recomputes the pair (q0 + i,
// k0 + j) and owns columns j, j + BC, ... of dq row i.
@compute @workgroup_size(BR * BC)
fn backward_q(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let base = wid.y * u.T * D;
  let q0 = wid.x * BR;
  let i = lid / BC;
  let j = lid % BC;
  let qi = q0 + i;
  for (var e = lid; e < BR * D; e = e + BR * BC) {
    let t = q0 + e / D;
    var x = 0.0;
    var o = 0.0;
    if (t < u.T) {
      x = qq[base + t * D + e % D];
      o = qdout[base + t * D + e % D];
    }
    q_q[(e / D) * DS + e % D] = x;
    q_o[(e / D) * DS + e % D] = o;
  }
  var ls = 0.0;
  var dl = 0.0;
  if (qi < u.T) {
    ls = qlse[wid.y * u.T + qi];
    dl = qdelta[wid.y * u.T + qi];
  }
  var g: array<f32, MAX_SLICE>;
  let koff = select(0u, NK, SPLIT);
  let end = select(u.T, min(u.T, q0 + BR), CAUSAL);
  for (var k0 = 0u; k0 < end; k0 = k0 + BC) {
    for (var e = lid; e < BC * D; e = e + BR * BC) {
      let t = k0 + e / D;
      var x = 0.0;
      if (t < u.T) {
        x = qv[base + t * D + e % D];
      }
      q_kv[(e / D) * DS + e % D] = x;
    }
    if (SPLIT) {
      load_qk(base, k0, lid, NK);
    }
    workgroupBarrier();
    var dp = 0.0;
    for (var d = 0u; d < D; d = d + 1u) {
      dp = fma(q_o[i * DS + d], q_kv[j * DS + d], dp);
    }
    if (!SPLIT) {
      workgroupBarrier();
      load_qk(base, k0, lid, 0u);
      workgroupBarrier();
    }
    var s = 0.0;
    for (var d = 0u; d < D; d = d + 1u) {
      s = fma(q_q[i * DS + d], q_kv[koff + j * DS + d], s);
    }
    let p = select(0.0, exp(s * u.scale - ls), visible(qi, k0 + j));
    q_ds[i * BC + j] = p * (dp - dl);
    workgroupBarrier();
    for (var c = 0u; c * BC < D; c = c + 1u) {
      let d = j + c * BC;
      if (d < D) {
        var a = 0.0;
        for (var jj = 0u; jj < BC; jj = jj + 1u) {
          a = fma(q_ds[i * BC + jj], q_kv[koff + jj * DS + d], a);
        }
        g[c] = g[c] + a;
      }
    }
    workgroupBarrier();
  }
  if (qi < u.T) {
    for (var c = 0u; c * BC < D; c = c + 1u) {
      let d = j + c * BC;
      if (d < D) {
        let at = base + qi * D + d;
        dq[at] = dq[at] + g[c] * u.scale;
      }
    }
  }
}
