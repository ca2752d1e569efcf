// How the app shows numbers from the engine.
import { describe, expect, it } from 'vitest';
import { formatBytes, formatDevice, formatError, formatLimit, formatMs, formatPercent } from '../../src/app/format';

describe('format', () => {
  it('writes errors in compact scientific notation', () => {
    expect(formatError(0)).toBe('0');
    expect(formatError(2.384e-7)).toBe('2.4e-7');
    expect(formatError(12.5)).toBe('1.3e1');
    expect(formatError(Infinity)).toBe('Infinity');
    expect(formatError(NaN)).toBe('Infinity');
  });

  it('writes a relative difference as a percentage, and a device as a sentence names it', () => {
    expect(formatPercent(0)).toBe('0%');
    expect(formatPercent(2.04e-4)).toBe('0.02%');
    expect(formatPercent(1e-3)).toBe('0.1%');
    expect(formatPercent(Infinity)).toBe('∞%');
    expect(formatDevice({ backend: 'webgpu', adapter: 'google · swiftshader' })).toBe('WebGPU on google · swiftshader');
    expect(formatDevice({ backend: 'cpu', adapter: 'CPU twins' })).toBe('the CPU backend');
  });

  it('writes durations in ms, then s', () => {
    expect(formatMs(0.42)).toBe('0.4 ms');
    expect(formatMs(123.4)).toBe('123 ms');
    expect(formatMs(12_345)).toBe('12.3 s');
  });

  it('writes sizes with binary units', () => {
    expect(formatBytes(0)).toBe('0 bytes');
    expect(formatBytes(16384)).toBe('16 KiB');
    expect(formatBytes(134217728)).toBe('128 MiB');
    expect(formatBytes(1.5 * 2 ** 30)).toBe('1.5 GiB');
  });

  it('tells byte limits from counts', () => {
    expect(formatLimit('maxStorageBufferBindingSize', 134217728)).toBe('128 MiB');
    expect(formatLimit('maxComputeWorkgroupStorageSize', 16384)).toBe('16 KiB');
    expect(formatLimit('minStorageBufferOffsetAlignment', 256)).toBe('256 bytes');
    expect(formatLimit('maxComputeWorkgroupSizeX', 256)).toBe('256');
    expect(formatLimit('maxComputeWorkgroupsPerDimension', 65535)).toBe('65,535');
  });
});
