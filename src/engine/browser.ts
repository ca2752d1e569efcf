// Browser entry of the engine: a device from navigator.gpu (in a worker or a page), shaders bundled by Vite,
// and the CPU fallback with the reason WebGPU is not available.

import type { Backend } from './backend';
import { CpuBackend } from './cpu/backend';
import { adapterInfo } from './webgpu/adapter';
import { WebGPUBackend } from './webgpu/backend';
import { autotuneMatmul } from './webgpu/autotune';

const raw = import.meta.glob('../../shaders/*.wgsl', { query: '?raw', import: 'default', eager: true }) as Record<
  string,
  string
>;

export const browserShaderSources: Record<string, string> = Object.fromEntries(
  Object.entries(raw).map(([path, src]) => [path.slice(path.lastIndexOf('/') + 1, -5), src]),
);

/** Why WebGPU cannot be used here, or null when an adapter and device were obtained. */
export async function createBrowserBackend(opts: { forceCpu?: boolean; autotune?: boolean } = {}): Promise<Backend> {
  if (opts.forceCpu) return new CpuBackend('CPU backend forced in the settings');
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) {
    const secure = (globalThis as { isSecureContext?: boolean }).isSecureContext;
    return new CpuBackend(
      secure === false
        ? 'WebGPU needs a secure context (https or localhost)'
        : 'this browser has no WebGPU (navigator.gpu is missing)',
    );
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return new CpuBackend(`WebGPU adapter request failed: ${(e as Error).message}`);
  }
  if (!adapter) return new CpuBackend('WebGPU found no adapter (GPU blocklisted or disabled)');
  try {
    const device = await adapter.requestDevice({
      label: 'preflab:device',
      requiredLimits: {
        maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
        maxBufferSize: adapter.limits.maxBufferSize,
        maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
        maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage,
      },
    });
    const be = new WebGPUBackend(device, adapterInfo(adapter, device), browserShaderSources);
    // Pick the faster matmul kernel for this adapter (a few dispatches; cached per adapter for the page).
    if (opts.autotune ?? true) await autotuneMatmul(be);
    return be;
  } catch (e) {
    return new CpuBackend(`WebGPU device request failed: ${(e as Error).message}`);
  }
}
