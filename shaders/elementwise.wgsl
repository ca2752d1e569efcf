// Elementwise basics: fill with a bit pattern, bitwise copy, axpby, a deterministic tree sum and the step clock.

// #include rows

// ---- fill: out[i] = bits (the host packs the value as the tensor's dtype, so one kernel serves f32/i32/u32) ----
struct FillParams {
  bits: u32,
}
@group(0) @binding(0) var<uniform> fill_u: FillParams;
@group(0) @binding(1) var<storage, read_write> fill_out: array<u32>;

@compute @workgroup_size(WG)
fn fill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, WG);
  if (i < arrayLength(&fill_out)) {
    fill_out[i] = fill_u.bits;
  }
}

// ---- copy: dst[i] = src[i] for i < src.size, as raw 32-bit words ----
@group(0) @binding(1) var<storage, read_write> copy_dst: array<u32>;
@group(0) @binding(2) var<storage, read> copy_src: array<u32>;

@compute @workgroup_size(WG)
fn copy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, WG);
  if (i < arrayLength(&copy_src)) {
    copy_dst[i] = copy_src[i];
  }
}

// ---- axpby: y = a x + b y ----
struct AxpbyParams {
  a: f32,
  b: f32,
}
@group(0) @binding(0) var<uniform> axpby_u: AxpbyParams;
@group(0) @binding(1) var<storage, read_write> axpby_y: array<f32>;
@group(0) @binding(2) var<storage, read> axpby_x: array<f32>;

@compute @workgroup_size(WG)
fn axpby(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = flat_index(gid, nwg, WG);
  if (i < arrayLength(&axpby_y)) {
    axpby_y[i] = axpby_u.a * axpby_x[i] + axpby_u.b * axpby_y[i];
  }
}

// ---- sum: out[g] = (accumulate ? out[g] : 0) + scale * sum of x[i] over i = g WG + lid + k groups WG ----
// With groups = 1 this is the whole sum; with groups > 1 it writes per-workgroup partials that a second
// groups = 1 launch reduces. The split depends only on n, so the result is the same on every run.
struct SumParams {
  n: u32,
  groups: u32,
  scale: f32,
  accumulate: u32,
}
@group(0) @binding(0) var<uniform> sum_u: SumParams;
@group(0) @binding(1) var<storage, read_write> sum_out: array<f32>;
@group(0) @binding(2) var<storage, read> sum_x: array<f32>;

@compute @workgroup_size(WG)
fn sum(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let g = wid.x;
  var acc = 0.0;
  for (var i = g * WG + lid; i < sum_u.n; i = i + sum_u.groups * WG) {
    acc = acc + sum_x[i];
  }
  let total = row_sum(lid, acc);
  if (lid == 0u) {
    let prev = select(0.0, sum_out[g], sum_u.accumulate != 0u);
    sum_out[g] = prev + sum_u.scale * total;
  }
}

// ---- tick: clock[0] += 1, the on-device step counter ----
@group(0) @binding(1) var<storage, read_write> tick_clock: array<u32>;

@compute @workgroup_size(1)
fn tick() {
  tick_clock[0] = tick_clock[0] + 1u;
}
