// Row and column reductions shared by the reducing kernels (`// #include rows`): TPR invocations per row, or WG / COLS
// per column, fixed-order trees in workgroup memory, so every run sums in the same order; every lane of a row (column)
// gets its total.

override WG: u32 = 256; // invocations per workgroup
// Invocations per row: a power of two dividing WG, so short rows share a workgroup; by default one row per
// workgroup, the whole-workgroup reductions of the kernels that reduce one quantity at a time.
override TPR: u32 = WG;
// Columns per workgroup of the column sums: a power of two dividing WG. Adjacent invocations serve adjacent columns
// (coalesced reads of a row), so a column's lanes stand COLS apart: lane l of column c is invocation l * COLS + c.
override COLS: u32 = 1u;

var<workgroup> red_lse: array<vec2<f32>, WG>;
var<workgroup> red_sum: array<vec2<f32>, WG>;
// Four lanes wide, for kernels that reduce four quantities per row (or two log-sum-exp states) at once.
var<workgroup> red4: array<vec4<f32>, WG>;

// The row an invocation serves under the launch geometry of kernels/rows.ts (rowLaunch): WG / TPR rows per
// workgroup, TPR lanes each, workgroups spread over a 2D grid.
fn row_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return flat_group(wid, nwg) * (WG / TPR) + lid / TPR;
}

// The column an invocation serves under colLaunch: COLS columns per workgroup, its lane being lid / COLS.
fn col_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32) -> u32 {
  return flat_group(wid, nwg) * COLS + lid % COLS;
}

// Online (max, sum of exp) states of the row's lanes, merged.
fn row_lse(lid: u32, v: vec2<f32>) -> vec2<f32> {
  red_lse[lid] = v;
  workgroupBarrier();
  let lane = lid % TPR;
  for (var s = TPR / 2u; s > 0u; s = s >> 1u) {
    if (lane < s) {
      red_lse[lid] = lse_join(red_lse[lid], red_lse[lid + s]);
    }
    workgroupBarrier();
  }
  return red_lse[lid - lane];
}

// Two online log-sum-exp states side by side (xy, zw), merged in red4. The closing barrier lets the caller reduce
// again right away over the same red4.
fn row_lse2(lid: u32, v: vec4<f32>) -> vec4<f32> {
  red4[lid] = v;
  workgroupBarrier();
  let lane = lid % TPR;
  for (var s = TPR / 2u; s > 0u; s = s >> 1u) {
    if (lane < s) {
      let a = red4[lid];
      let b = red4[lid + s];
      red4[lid] = vec4<f32>(lse_join(a.xy, b.xy), lse_join(a.zw, b.zw));
    }
    workgroupBarrier();
  }
  let r = red4[lid - lane];
  workgroupBarrier();
  return r;
}

// The largest of the row's values (exact in any order).
fn row_max(lid: u32, v: f32) -> f32 {
  red_sum[lid] = vec2<f32>(v, 0.0);
  workgroupBarrier();
  let lane = lid % TPR;
  for (var s = TPR / 2u; s > 0u; s = s >> 1u) {
    if (lane < s) {
      red_sum[lid].x = max(red_sum[lid].x, red_sum[lid + s].x);
    }
    workgroupBarrier();
  }
  return red_sum[lid - lane].x;
}

// The tree behind the row and the column sums: `lanes` lanes standing `step` apart in red_sum, this invocation being
// lane `lane`; lane l adds lane l + s while s halves, and every lane gets lane 0's total.
fn tree_sum2(lid: u32, lane: u32, lanes: u32, step: u32, v: vec2<f32>) -> vec2<f32> {
  red_sum[lid] = v;
  workgroupBarrier();
  for (var s = lanes / 2u; s > 0u; s = s >> 1u) {
    if (lane < s) {
      red_sum[lid] = red_sum[lid] + red_sum[lid + s * step];
    }
    workgroupBarrier();
  }
  return red_sum[lid - lane * step];
}

// Two sums at once (e.g. a masked total and the mask's count).
fn row_sum2(lid: u32, v: vec2<f32>) -> vec2<f32> {
  return tree_sum2(lid, lid % TPR, TPR, 1u, v);
}

fn row_sum(lid: u32, v: f32) -> f32 {
  return row_sum2(lid, vec2<f32>(v, 0.0)).x;
}

// Two sums at once down the column lid % COLS.
fn col_sum2(lid: u32, v: vec2<f32>) -> vec2<f32> {
  return tree_sum2(lid, lid / COLS, WG / COLS, COLS, v);
}

fn col_sum(lid: u32, v: f32) -> f32 {
  return col_sum2(lid, vec2<f32>(v, 0.0)).x;
}

// Four sums at once. The closing barrier lets the caller reduce again right away over the same red4.
fn row_sum4(lid: u32, v: vec4<f32>) -> vec4<f32> {
  red4[lid] = v;
  workgroupBarrier();
  let lane = lid % TPR;
  for (var s = TPR / 2u; s > 0u; s = s >> 1u) {
    if (lane < s) {
      red4[lid] = red4[lid] + red4[lid + s];
    }
    workgroupBarrier();
  }
  let r = red4[lid - lane];
  workgroupBarrier();
  return r;
}
