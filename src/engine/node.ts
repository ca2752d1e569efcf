// Node entry of the engine: a WebGPU device from Dawn (the `webgpu` package), shaders read from disk, and the
// SwiftShader fallback for machines without a GPU driver.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Backend } from './backend';
import { CpuBackend } from './cpu/backend';
import { adapterInfo } from './webgpu/adapter';
import { WebGPUBackend } from './webgpu/backend';
import { autotuneMatmul } from './webgpu/autotune';

const SHADER_DIR = fileURLToPath(new URL('../../shaders/', import.meta.url));
const SWIFTSHADER_ICD = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
  '/opt/google/chrome/vk_swiftshader_icd.json',
];

let sources: Record<string, string> | null = null;

/** Every shaders/*.wgsl, by name without extension. */
export function nodeShaderSources(): Record<string, string> {
  if (!sources) {
    sources = {};
    for (const f of readdirSync(SHADER_DIR)) {
      if (f.endsWith('.wgsl')) sources[f.slice(0, -5)] = readFileSync(SHADER_DIR + f, 'utf8');
    }
  }
  return sources;
}

type WebGPUModule = typeof import('webgpu');

/** The Dawn instance behind each adapter and device: once the GC collects an instance, its devices crash or hang. */
const instances = new WeakMap<GPUAdapter | GPUDevice, GPU>();

async function adapterFrom(mod: WebGPUModule, flags: string[]): Promise<GPUAdapter | null> {
  const gpu = mod.create(flags);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter) instances.set(adapter, gpu);
  return adapter;
}

export interface NodeDeviceOptions {
  /** Dawn toggles, e.g. 'disable-dawn-features=timestamp_quantization'. */
  flags?: string[];
  /** Features to request when the adapter has them. */
  features?: GPUFeatureName[];
  /** Time both matmul variants and keep the faster (off by default: tests pin the default kernel). */
  autotune?: boolean;
}

/** A Dawn device: the system's Vulkan driver first, SwiftShader when no usable adapter is found. */
export async function nodeDevice(opts: NodeDeviceOptions = {}): Promise<{ adapter: GPUAdapter; device: GPUDevice }> {
  const mod = await import('webgpu');
  Object.assign(globalThis, mod.globals);
  const flags = opts.flags ?? [];
  let adapter = await adapterFrom(mod, flags);
  if (!adapter && !process.env.VK_ICD_FILENAMES) {
    const icd = SWIFTSHADER_ICD.find((p) => existsSync(p));
    if (icd) {
      process.env.VK_ICD_FILENAMES = icd;
      adapter = await adapterFrom(mod, flags);
    }
  }
  if (!adapter) {
    throw new Error(
      'no WebGPU adapter: install a Vulkan driver, or Chromium for its SwiftShader (apt-get install chromium libvulkan1)',
    );
  }
  const requiredFeatures = (opts.features ?? []).filter((f) => adapter.features.has(f));
  const device = await adapter.requestDevice({
    label: 'preflab:device',
    requiredFeatures,
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: adapter.limits.maxComputeWorkgroupStorageSize,
      maxStorageBuffersPerShaderStage: adapter.limits.maxStorageBuffersPerShaderStage,
    },
  });
  instances.set(device, instances.get(adapter)!);
  return { adapter, device };
}

export async function createNodeWebGPUBackend(opts: NodeDeviceOptions = {}): Promise<WebGPUBackend> {
  const { adapter, device } = await nodeDevice(opts);
  const be = new WebGPUBackend(device, adapterInfo(adapter, device), nodeShaderSources());
  if (opts.autotune) await autotuneMatmul(be);
  return be;
}

/** The backend a CLI user asked for. */
export async function createNodeBackend(kind: 'webgpu' | 'cpu'): Promise<Backend> {
  return kind === 'cpu' ? new CpuBackend('selected with --backend cpu') : createNodeWebGPUBackend();
}
