// Our engine as a benchmark Library.

import type { Backend } from '../src/engine/backend';
import { distillStep, diffusionStep, dpoStep, matmulCase, runSteps, type Step } from './ours';
import type { Library, Runner } from './suite';

function stepRunner(be: Backend, step: Step): Runner {
  return { run: (k) => runSteps(be, step.program, k), release: () => step.release() };
}

export function oursLibrary(be: Backend, name = 'ours'): Library {
  return {
    name,
    matmul: async (M, K, N) => matmulCase(be, M, K, N),
    dpo: async (s) => stepRunner(be, dpoStep(be, s)),
    distill: async () => stepRunner(be, distillStep(be)),
    diffusion: async () => stepRunner(be, diffusionStep(be)),
  };
}
