// What a WebGPU adapter and its device offer, as BackendInfo: the limits the kernels are sized by and the features.

import type { BackendInfo } from '../backend';

export function adapterInfo(adapter: GPUAdapter, device: GPUDevice): BackendInfo {
  const limits: Record<string, number> = {};
  for (const k of [
    'maxStorageBufferBindingSize',
    'maxBufferSize',
    'maxComputeWorkgroupStorageSize',
    'maxComputeInvocationsPerWorkgroup',
    'maxComputeWorkgroupSizeX',
    'maxComputeWorkgroupsPerDimension',
    'maxStorageBuffersPerShaderStage',
    'minStorageBufferOffsetAlignment',
  ] as const) {
    limits[k] = Number(device.limits[k]);
  }
  const info = adapter.info;
  return {
    kind: 'webgpu',
    vendor: info?.vendor || 'unknown',
    architecture: info?.architecture || 'unknown',
    description: info?.description || '',
    limits,
    features: [...device.features].map(String).sort(),
  };
}
