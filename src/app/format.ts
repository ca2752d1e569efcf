// How numbers from the engine are shown: errors, durations and adapter limits.

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
