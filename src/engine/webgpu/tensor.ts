// A tensor on the GPU: a range of a GPUBuffer (whole buffer, or a view at an aligned offset).

import type { DType, Tensor } from '../backend';

let nextId = 1;

export class GpuTensor implements Tensor {
  readonly id = nextId++;
  readonly size: number;
  constructor(
    readonly buffer: GPUBuffer,
    readonly shape: readonly number[],
    readonly dtype: DType,
    readonly offset: number,
    readonly label: string,
    /** The tensor owning the buffer (itself when not a view). */
    readonly base: GpuTensor | null,
  ) {
    this.size = shape.reduce((a, b) => a * b, 1);
  }
  get byteOffset(): number {
    return this.offset * 4;
  }
  get byteSize(): number {
    return Math.max(4, this.size * 4);
  }
}

export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function checkShape(shape: readonly number[]): void {
  if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new Error(`invalid tensor shape [${shape.join(', ')}]: every dimension must be a positive integer`);
  }
}
