// Context windows of token ids from [B, T] sequences (BOS-padded before the start): as C ids, or as one n-gram index.

override WG: u32 = 256;

struct Params {
  B: u32,
  T: u32,
  C: u32,     // tokens per window
  t0: u32,    // window p covers positions t0 + p - C .. t0 + p - 1
  P: u32,     // windows per sequence
  pad: i32,   // id before the start (BOS)
  radix: u32, // ngram: base of the mixed-radix id
  _pad: u32,
}

@group(0) @binding(0) var<uniform> u: Params;

// The id at position t0 + p - C + j of sequence b, or pad before the start.
fn token_at(b: u32, p: u32, j: u32) -> i32 {
  let src = i32(u.t0 + p + j) - i32(u.C);
  if (src < 0) {
    return u.pad;
  }
  return win_tokens[b * u.T + u32(src)];
}

// ---- ids: out[b, p, j] ----
@group(0) @binding(1) var<storage, read_write> out: array<i32>;      // [B, P, C] or [B, P] (ngram)
@group(0) @binding(2) var<storage, read> win_tokens: array<i32>;     // [B, T]

@compute @workgroup_size(WG)
fn ids(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, WG);
  if (i >= u.B * u.P * u.C) {
    return;
  }
  let j = i % u.C;
  let bp = i / u.C;
  out[i] = token_at(bp / u.P, bp % u.P, j);
}

// ---- ngram: out[b, p] = sum_j w_j radix^(C-1-j), the window as one table index ----
@compute @workgroup_size(WG)
fn ngram(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, WG);
  if (i >= u.B * u.P) {
    return;
  }
  var id = 0;
  for (var j = 0u; j < u.C; j = j + 1u) {
    id = id * i32(u.radix) + token_at(i / u.P, i % u.P, j);
  }
  out[i] = id;
}
