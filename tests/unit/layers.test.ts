// The layer rules of eslint.config.js: who may import whom, and where the DOM is off limits.
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: fileURLToPath(new URL('../..', import.meta.url)) });
const LAYER_RULES = new Set(['@typescript-eslint/no-restricted-imports', 'no-restricted-globals']);

/** The layer-rule violations ESLint reports for `code` as if it were the file at `path`. */
async function violations(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path });
  const fatal = result.messages.filter((m) => m.fatal);
  if (fatal.length) throw new Error(`${path}: ${fatal.map((m) => m.message).join('; ')}`);
  return result.messages.filter((m) => m.ruleId && LAYER_RULES.has(m.ruleId)).map((m) => m.ruleId!);
}

type Case = [path: string, code: string];

const forbidden: Case[] = [
  ['src/app/A.ts', "import { CpuBackend } from '../engine/cpu/backend';\nexport { CpuBackend };"],
  ['src/app/A.ts', "import { ACTIVATIONS } from '../engine/backend';\nexport { ACTIVATIONS };"],
  ['src/app/A.ts', "import type { GpuTensor } from '../engine/webgpu/tensor';\nexport type { GpuTensor };"],
  [
    'src/app/deep/A.ts',
    "import { createBrowserBackend } from '../../engine/browser';\nexport { createBrowserBackend };",
  ],
  ['src/app/A.ts', "export { Philox } from '../engine/rng';"],
  ['src/app/A.ts', "import '../worker/trainer.worker';"],
  ['src/app/A.ts', "import { main } from '../cli/main';\nexport { main };"],
  [
    'src/app/A.svelte',
    '<script lang="ts">\n  import { CpuBackend } from \'../engine/cpu/backend\';\n  new CpuBackend();\n</script>\n',
  ],
  ['src/main.ts', "import { createBrowserBackend } from './engine/browser';\nexport { createBrowserBackend };"],
  ['src/engine/A.ts', "import { mount } from 'svelte';\nexport { mount };"],
  ['src/engine/A.ts', "import * as d3 from 'd3';\nexport { d3 };"],
  ['src/engine/A.ts', "import { scaleLinear } from 'd3-scale';\nexport { scaleLinear };"],
  ['src/engine/A.ts', "import { wrap } from 'comlink';\nexport { wrap };"],
  ['src/engine/A.ts', "import { get } from 'idb-keyval';\nexport { get };"],
  ['src/engine/A.ts', "import { presets } from '../lab/presets';\nexport { presets };"],
  ['src/engine/webgpu/kernels/A.ts', "import { x } from '../../../app/format';\nexport { x };"],
  ['src/engine/A.ts', "import { x } from '../worker/protocol';\nexport { x };"],
  ['src/engine/A.ts', 'export const title = () => document.title;'],
  ['src/engine/A.ts', 'export const w = () => window.innerWidth;'],
  ['src/lab/A.ts', "import { untrack } from 'svelte';\nexport { untrack };"],
  ['src/lab/A.ts', "import { set } from 'idb-keyval';\nexport { set };"],
  ['src/lab/A.ts', "import { x } from '../worker/protocol';\nexport { x };"],
  ['src/lab/A.ts', "import { x } from '../app/format';\nexport { x };"],
  ['src/lab/A.ts', "export const el = () => document.createElement('div');"],
  ['src/lab/A.ts', "import { createNodeBackend } from '../engine/node';\nexport { createNodeBackend };"],
  ['src/lab/deep/A.ts', "import { GpuContext } from '../../engine/webgpu/context';\nexport { GpuContext };"],
  ['src/lab/A.ts', "import { create } from 'webgpu';\nexport { create };"],
  ['src/worker/A.ts', "import { formatMs } from '../app/format';\nexport { formatMs };"],
  ['src/worker/A.ts', "import { select } from 'd3';\nexport { select };"],
  ['src/cli/A.ts', "import { x } from '../worker/protocol';\nexport { x };"],
];

const allowed: Case[] = [
  ['src/app/A.ts', "import type { BackendInfo } from '../engine/backend';\nexport type { BackendInfo };"],
  ['src/app/A.ts', "import { type BackendInfo } from '../engine/backend';\nexport type { BackendInfo };"],
  ['src/app/A.ts', "import type { EngineApi } from '../worker/protocol';\nexport type { EngineApi };"],
  ['src/app/A.ts', "import { startEngineWorker } from './worker';\nexport { startEngineWorker };"],
  ['src/app/A.ts', "import { mount } from 'svelte';\nimport * as d3 from 'd3';\nexport { mount, d3 };"],
  ['src/app/A.ts', 'export const title = () => document.title;'],
  [
    'src/app/A.svelte',
    '<script lang="ts">\n  import type { BackendInfo } from \'../engine/backend\';\n  let { info }: { info: BackendInfo } = $props();\n</script>\n\n<p>{info.vendor}</p>\n',
  ],
  ['src/main.ts', "import App from './app/App.svelte';\nexport { App };"],
  ['src/engine/A.ts', "import { CpuBackend } from './cpu/backend';\nexport { CpuBackend };"],
  ['src/engine/webgpu/A.ts', "import type { Backend } from '../backend';\nexport type { Backend };"],
  ['src/lab/A.ts', "import { CpuBackend } from '../engine/cpu/backend';\nexport { CpuBackend };"],
  [
    'src/lab/deep/A.ts',
    "import type { Backend } from '../../engine/backend';\nimport { Philox } from '../../engine/rng';\nexport { Philox, type Backend };",
  ],
  ['src/worker/A.ts', "import { expose } from 'comlink';\nimport { x } from '../lab/presets';\nexport { expose, x };"],
  ['src/cli/A.ts', "import { createNodeBackend } from '../engine/node';\nexport { createNodeBackend };"],
];

describe('layer rules', () => {
  it.each(forbidden)('%s refuses: %s', async (path, code) => {
    expect(await violations(path, code)).not.toEqual([]);
  });

  it.each(allowed)('%s allows: %s', async (path, code) => {
    expect(await violations(path, code)).toEqual([]);
  });
});
