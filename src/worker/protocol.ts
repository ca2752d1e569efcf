// What the engine worker offers the UI thread over comlink: plain, structured-cloneable data only.
import type { BackendInfo } from '../engine/backend';

export interface SelfTestResult {
  /** The backend that ran the check. */
  kind: BackendInfo['kind'];
  M: number;
  K: number;
  N: number;
  /** Largest |backend - CPU twin| over the output. */
  maxError: number;
  /** The pass criterion, element-wise: |got - want| <= atol + rtol |want| (OPS.md). */
  rtol: number;
  atol: number;
  passed: boolean;
  /** Wall time of upload, matmul and read-back on the backend (the first run includes shader compilation). */
  ms: number;
  /** Seed of the Philox stream the inputs were drawn from. */
  seed: number;
}

export interface EngineApi {
  /** The backend the worker runs on: the WebGPU adapter, or the CPU fallback and why. */
  probe(): Promise<BackendInfo>;
  /** matmul on random inputs on the worker's backend, compared with the CPU twin on the same inputs. */
  selfTest(): Promise<SelfTestResult>;
}
