// Matmul c[M,N] (+)= op(a) op(b) (+ bias[N]) with 8x8 register blocks: register-only, or shared-memory tiles.

// a is stored [K,M] (used transposed) when TRANS_A, b is stored [N,K] when TRANS_B.
override TRANS_A: bool = false;
override TRANS_B: bool = false;
override ACCUMULATE: bool = false;
// Add bias[col] to every row (linear's forward): fused here to save a dispatch.
override BIAS: bool = false;
// Invocations along N and M; each computes an 8x8 block, so a workgroup owns a (8*WG_Y) x (8*WG_X) tile.
override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;
// Depth of a K slice staged in workgroup memory (main_tiled only).
override TK: u32 = 16u;

struct Params {
  M: u32,
  K: u32,
  N: u32,
  _pad: u32,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read_write> c: array<f32>; // [M, N]
@group(0) @binding(2) var<storage, read> a: array<f32>;       // [M, K] or [K, M]
@group(0) @binding(3) var<storage, read> b: array<f32>;       // [K, N] or [N, K]
// Always bound (a 1-element placeholder when !BIAS) so that every variant has the same binding layout.
@group(0) @binding(4) var<storage, read> bias: array<f32>;    // [N]

// Accumulators of one invocation: acc[2i + h] holds row i, columns 4h..4h+3 of its 8x8 block.
alias Block = array<vec4<f32>, 16>;

// acc += (column of 8 rows of op(a)) x (row of 8 columns of op(b)): 64 fma as 16 vec4 ones.
fn outer(acc: ptr<function, Block>, a0: vec4<f32>, a1: vec4<f32>, b0: vec4<f32>, b1: vec4<f32>) {
  (*acc)[0] = fma(vec4<f32>(a0.x), b0, (*acc)[0]);
  (*acc)[1] = fma(vec4<f32>(a0.x), b1, (*acc)[1]);
  (*acc)[2] = fma(vec4<f32>(a0.y), b0, (*acc)[2]);
  (*acc)[3] = fma(vec4<f32>(a0.y), b1, (*acc)[3]);
  (*acc)[4] = fma(vec4<f32>(a0.z), b0, (*acc)[4]);
  (*acc)[5] = fma(vec4<f32>(a0.z), b1, (*acc)[5]);
  (*acc)[6] = fma(vec4<f32>(a0.w), b0, (*acc)[6]);
  (*acc)[7] = fma(vec4<f32>(a0.w), b1, (*acc)[7]);
  (*acc)[8] = fma(vec4<f32>(a1.x), b0, (*acc)[8]);
  (*acc)[9] = fma(vec4<f32>(a1.x), b1, (*acc)[9]);
  (*acc)[10] = fma(vec4<f32>(a1.y), b0, (*acc)[10]);
  (*acc)[11] = fma(vec4<f32>(a1.y), b1, (*acc)[11]);
  (*acc)[12] = fma(vec4<f32>(a1.z), b0, (*acc)[12]);
  (*acc)[13] = fma(vec4<f32>(a1.z), b1, (*acc)[13]);
  (*acc)[14] = fma(vec4<f32>(a1.w), b0, (*acc)[14]);
  (*acc)[15] = fma(vec4<f32>(a1.w), b1, (*acc)[15]);
}

// Row i of the block is row0 + i * row_step, column j is col0 + j * col_step.
fn store(row0: u32, row_step: u32, col0: u32, col_step: u32, acc: Block) {
  for (var i = 0u; i < 8u; i = i + 1u) {
    let row = row0 + i * row_step;
    if (row >= u.M) {
      return;
    }
    for (var j = 0u; j < 8u; j = j + 1u) {
      let col = col0 + j * col_step;
      if (col < u.N) {
        let at = row * u.N + col;
        var v = acc[2u * i + j / 4u][j % 4u];
        if (BIAS) {
          v = v + bias[col];
        }
        if (ACCUMULATE) {
          v = v + c[at];
        }
        c[at] = v;
      }
    }
  }
}

fn zero_block() -> Block {
  return Block(
    vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0),
    vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0),
    vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0), vec4<f32>(0.0),
  );
}

// The register-only variant: no workgroup memory, no barriers; every invocation streams its 8 rows of op(a)
// and 8 columns of op(b) from storage. The default: SwiftShader pays per load and far more per barrier.
// Rows and columns are interleaved across invocations (row i is m0 + i * WG_Y) so that neighbours read
// neighbouring addresses; those past the edge are clamped on load (no branch in the loop) and dropped on store.
@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let m0 = wid.y * 8u * WG_Y + lid.y;
  let n0 = wid.x * 8u * WG_X + lid.x;
  let last_m = vec4<u32>(u.M - 1u);
  let last_n = vec4<u32>(u.N - 1u);
  let step_m = vec4<u32>(0u, 1u, 2u, 3u) * WG_Y;
  let step_n = vec4<u32>(0u, 1u, 2u, 3u) * WG_X;
  // Element (m, k) of op(a) is a[m * sa_m + k * sa_k], element (k, n) of op(b) is b[k * sb_k + n * sb_n].
  var sa_m = u.K;
  var sa_k = 1u;
  if (TRANS_A) {
    sa_m = 1u;
    sa_k = u.M;
  }
  var sb_k = u.N;
  var sb_n = 1u;
  if (TRANS_B) {
    sb_k = 1u;
    sb_n = u.K;
  }
  let ra0 = min(vec4<u32>(m0) + step_m, last_m) * sa_m;
  let ra1 = min(vec4<u32>(m0 + 4u * WG_Y) + step_m, last_m) * sa_m;
  let qb0 = min(vec4<u32>(n0) + step_n, last_n) * sb_n;
  let qb1 = min(vec4<u32>(n0 + 4u * WG_X) + step_n, last_n) * sb_n;
  var acc = zero_block();
  for (var k = 0u; k < u.K; k = k + 1u) {
    let ka0 = ra0 + vec4<u32>(k * sa_k);
    let ka1 = ra1 + vec4<u32>(k * sa_k);
    let kb0 = qb0 + vec4<u32>(k * sb_k);
    let kb1 = qb1 + vec4<u32>(k * sb_k);
    outer(
      &acc,
      vec4<f32>(a[ka0.x], a[ka0.y], a[ka0.z], a[ka0.w]),
      vec4<f32>(a[ka1.x], a[ka1.y], a[ka1.z], a[ka1.w]),
      vec4<f32>(b[kb0.x], b[kb0.y], b[kb0.z], b[kb0.w]),
      vec4<f32>(b[kb1.x], b[kb1.y], b[kb1.z], b[kb1.w]),
    );
  }
  store(m0, WG_Y, n0, WG_X, acc);
}

// k-major slices: As[k * 2 * WG_Y + r] holds op(a) rows 4r..4r+3 of the tile at column k, so that the inner loop
// reads whole vec4s; Bs likewise holds op(b) columns.
var<workgroup> As: array<vec4<f32>, TK * 2u * WG_Y>;
var<workgroup> Bs: array<vec4<f32>, TK * 2u * WG_X>;

// op(a)[m, k] and op(b)[k, n], zero outside the matrix (pads the edge tiles).
fn load_a(m: u32, k: u32) -> f32 {
  if (m >= u.M || k >= u.K) {
    return 0.0;
  }
  if (TRANS_A) {
    return a[k * u.M + m];
  }
  return a[m * u.K + k];
}

fn load_b(k: u32, n: u32) -> f32 {
  if (k >= u.K || n >= u.N) {
    return 0.0;
  }
  if (TRANS_B) {
    return b[n * u.K + k];
  }
  return b[k * u.N + n];
}

// The shared-memory variant (what real GPUs usually prefer): each K slice of the tile is staged once in
// workgroup memory and read by WG_X (or WG_Y) invocations.
@compute @workgroup_size(WG_X, WG_Y)
fn main_tiled(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let BM = 8u * WG_Y;
  let BN = 8u * WG_X;
  let m0 = wid.y * BM;
  let n0 = wid.x * BN;
  let t = lid.y * WG_X + lid.x;
  let threads = WG_X * WG_Y;
  var acc = zero_block();
  for (var k0 = 0u; k0 < u.K; k0 = k0 + TK) {
    // Consecutive invocations read consecutive addresses of the stored layout.
    for (var e = t; e < TK * BM; e = e + threads) {
      var m: u32;
      var k: u32;
      if (TRANS_A) {
        m = e % BM;
        k = e / BM;
      } else {
        k = e % TK;
        m = e / TK;
      }
      As[k * 2u * WG_Y + m / 4u][m % 4u] = load_a(m0 + m, k0 + k);
    }
    for (var e = t; e < TK * BN; e = e + threads) {
      var n: u32;
      var k: u32;
      if (TRANS_B) {
        k = e % TK;
        n = e / TK;
      } else {
        n = e % BN;
        k = e / BN;
      }
      Bs[k * 2u * WG_X + n / 4u][n % 4u] = load_b(k0 + k, n0 + n);
    }
    workgroupBarrier();
    for (var k = 0u; k < TK; k = k + 1u) {
      let ar = k * 2u * WG_Y + 2u * lid.y;
      let bc = k * 2u * WG_X + 2u * lid.x;
      outer(&acc, As[ar], As[ar + 1u], Bs[bc], Bs[bc + 1u]);
    }
    workgroupBarrier();
  }
  store(m0 + 8u * lid.y, 1u, n0 + 8u * lid.x, 1u, acc);
}
