// How values are shown: numerical errors, durations, sizes, adapter limits, metric values, speed, time left, errors.

/** An absolute error in compact scientific notation: 0, 2.4e-7, Infinity for a non-finite result. */
export function formatError(x: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return 'Infinity';
  return x.toExponential(1).replace('e+', 'e');
}

/** A duration: milliseconds below 10 s, seconds above. */
export function formatMs(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 10_000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(1)} s`;
}

const BINARY_UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];

/** A size in bytes with binary units: 16 KiB, 128 MiB, 1.5 GiB. */
export function formatBytes(n: number): string {
  let unit = 0;
  while (n >= 1024 && unit < BINARY_UNITS.length - 1) {
    n /= 1024;
    unit++;
  }
  const shown = Number.isInteger(n) ? String(n) : n.toFixed(1);
  return `${shown} ${BINARY_UNITS[unit]}`;
}

/** A WebGPU limit by its name: sizes (…Size, except workgroup dimensions) and alignments in bytes, the rest counts. */
export function formatLimit(name: string, value: number): string {
  const isBytes = /(Size|Alignment)$/.test(name) && !/WorkgroupSize[XYZ]$/.test(name);
  return isBytes ? formatBytes(value) : value.toLocaleString('en-US');
}

/** A metric value: 4 significant digits, scientific notation for very large or small magnitudes. */
export function formatValue(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? '∞' : '−∞';
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(2).replace('e+', 'e');
  return String(Number(x.toPrecision(4)));
}

/** Training speed: steps per second, one decimal below 100. */
export function formatRate(stepsPerSecond: number): string {
  if (!Number.isFinite(stepsPerSecond) || stepsPerSecond <= 0) return '–';
  return stepsPerSecond < 100 ? `${stepsPerSecond.toFixed(1)} steps/s` : `${Math.round(stepsPerSecond)} steps/s`;
}

/** Time left at the current speed: 45 s, 3 min 20 s, 1 h 05 min; '–' when unknown. */
export function formatEta(stepsLeft: number, stepsPerSecond: number): string {
  if (stepsLeft <= 0) return '0 s';
  if (!Number.isFinite(stepsPerSecond) || stepsPerSecond <= 0) return '–';
  const s = Math.ceil(stepsLeft / stepsPerSecond);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}

/** The current time as an ISO 8601 string (when a run was saved). */
export function isoNow(): string {
  return new Date().toISOString();
}

/** The text of anything thrown: an Error's message, or the value itself. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A relative difference as a percentage with 2 significant digits: 0%, 0.02%, 1.5%. */
export function formatPercent(fraction: number): string {
  if (fraction === 0) return '0%';
  if (!Number.isFinite(fraction)) return '∞%';
  return `${Number((fraction * 100).toPrecision(2))}%`;
}

/** The device that computed a run, as a sentence names it: "WebGPU on google · swiftshader", "the CPU backend". */
export function formatDevice(d: { backend: 'webgpu' | 'cpu'; adapter: string }): string {
  return d.backend === 'webgpu' ? `WebGPU on ${d.adapter || 'an unnamed adapter'}` : `the CPU backend`;
}
