// The bench page: our engine, TF.js (webgpu) and jax-js (webgpu) on this page's adapter, case by case.

import { createBrowserBackend } from '../src/engine/browser';
import type { WebGPUBackend } from '../src/engine/webgpu/backend';
import { FULL, QUICK } from './harness';
import { overheads } from './ours';
import { oursLibrary } from './ours-lib';
import type { PageOptions, PageResult } from './page';
import { LEAK_DPO } from './problems';
import { runSuite, type Library } from './suite';

const logEl = document.getElementById('log');
const log = (line: string) => {
  console.log(line);
  if (logEl) logEl.textContent += `${line}\n`;
};

async function run(opts: PageOptions): Promise<PageResult> {
  const be = await createBrowserBackend();
  if (be.kind !== 'webgpu') throw new Error(`no WebGPU on this page: ${be.info.reason ?? 'unknown reason'}`);
  log(
    `adapter: ${be.info.vendor} ${be.info.architecture} ${be.info.description}; matmul ${JSON.stringify(be.info.matmul)}`,
  );
  const want = (name: string) => !opts.libs || opts.libs.includes(name);
  const errors: string[] = [];
  const libs: Library[] = [oursLibrary(be)];
  if (want('tfjs')) {
    try {
      const { tfjsLibrary } = await import('./peer-tfjs');
      libs.push(await tfjsLibrary());
    } catch (e) {
      errors.push(`tfjs: ${(e as Error).message}`);
    }
  }
  if (want('jax-js')) {
    try {
      const { jaxLibrary } = await import('./peer-jax');
      libs.push(await jaxLibrary());
      if (opts.libs?.includes('jax-js-variants')) {
        libs.push(await jaxLibrary({ name: 'jax-js-take-eager', embed: 'take', jit: false }));
        libs.push(await jaxLibrary({ name: 'jax-js-onehot-eager', embed: 'onehot', jit: false }));
      }
    } catch (e) {
      errors.push(`jax-js: ${(e as Error).message}`);
    }
  }
  const only = opts.cases ? (name: string) => opts.cases!.some((p) => name.startsWith(p)) : undefined;
  const results = await runSuite(libs, opts.quick ? QUICK : FULL, log, only);
  const ov = opts.leakSteps > 0 ? await overheads(be as WebGPUBackend, LEAK_DPO, opts.leakSteps) : null;
  if (ov) log(`overheads: ${JSON.stringify(ov)}`);
  const info = be.info;
  be.destroy();
  return { userAgent: navigator.userAgent, info, results, overheads: ov, errors };
}

(window as unknown as { preflabBench: typeof run }).preflabBench = run;
