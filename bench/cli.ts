// npm run bench: builds the bench page, serves it on 127.0.0.1, drives headless Chromium (system browser, WebGPU
// flags of WEBGPU-HERE.md) through Playwright, runs our engine on Node/Dawn too, writes bench/results/<date>.json
// and prints the table. Options: --quick, --browser-path <exe>, --profile, --no-browser, --no-node,
// --libs ours,tfjs,jax-js, --cases "matmul,dpo", --leak-steps N.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build, preview } from 'vite';
import { chromium } from '@playwright/test';
import { createNodeWebGPUBackend } from '../src/engine/node';
import { FULL, QUICK } from './harness';
import { overheads, type Overheads } from './ours';
import { oursLibrary } from './ours-lib';
import type { PageOptions, PageResult } from './page';
import { LEAK_DPO } from './problems';
import { profileSteps } from './profile';
import { formatTable, ratio, type CaseResult } from './stats';
import { runSuite } from './suite';

const CONFIG = fileURLToPath(new URL('./vite.config.ts', import.meta.url));
const RESULTS = fileURLToPath(new URL('./results/', import.meta.url));

interface Args {
  quick: boolean;
  profile: boolean;
  browser: boolean;
  node: boolean;
  browserPath: string | null;
  libs?: string[];
  cases?: string[];
  leakSteps: number;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { quick: false, profile: false, browser: true, node: true, browserPath: null, leakSteps: -1 };
  for (let i = 0; i < argv.length; i++) {
    const x = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${x} needs a value`);
      return v;
    };
    if (x === '--quick') a.quick = true;
    else if (x === '--profile') a.profile = true;
    else if (x === '--no-browser') a.browser = false;
    else if (x === '--no-node') a.node = false;
    else if (x === '--browser-path') a.browserPath = value();
    else if (x === '--libs') a.libs = value().split(',');
    else if (x === '--cases') a.cases = value().split(',');
    else if (x === '--leak-steps') a.leakSteps = Number(value());
    else throw new Error(`unknown option ${x}`);
  }
  if (a.leakSteps < 0) a.leakSteps = a.quick ? 1000 : 10000;
  return a;
}

function findChromium(explicit: string | null): string {
  const candidates = [
    explicit,
    process.env.PREFLAB_CHROMIUM,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/opt/google/chrome/chrome',
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  ].filter((p): p is string => !!p);
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error('no Chromium found: pass --browser-path, or apt-get install chromium');
  return found;
}

async function browserRun(args: Args): Promise<PageResult> {
  await build({ configFile: CONFIG, logLevel: 'warn' });
  const server = await preview({ configFile: CONFIG, preview: { host: '127.0.0.1', port: 0, strictPort: false } });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('the preview server has no local URL');
  const browser = await chromium.launch({
    executablePath: findChromium(args.browserPath),
    headless: true,
    args: [
      '--no-sandbox',
      '--enable-unsafe-webgpu',
      '--enable-features=Vulkan',
      '--use-webgpu-adapter=swiftshader',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  try {
    const page = await browser.newPage();
    page.on('console', (m) => console.log(`  [page] ${m.text()}`));
    page.on('pageerror', (e) => console.log(`  [page error] ${e.message}`));
    await page.goto(url);
    await page.waitForFunction(() => 'preflabBench' in window);
    const opts: PageOptions = { quick: args.quick, libs: args.libs, cases: args.cases, leakSteps: args.leakSteps };
    return await page.evaluate(
      (o) => (window as unknown as { preflabBench: (o: PageOptions) => Promise<PageResult> }).preflabBench(o),
      opts,
    );
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => server.httpServer.close(() => resolve()));
  }
}

interface NodeResult {
  info: unknown;
  results: CaseResult[];
  overheads: Overheads | null;
  profile: string | null;
}

async function nodeRun(args: Args): Promise<NodeResult> {
  const be = await createNodeWebGPUBackend({
    autotune: true,
    features: args.profile ? ['timestamp-query'] : [],
    flags: args.profile ? ['disable-dawn-features=timestamp_quantization'] : [],
  });
  try {
    console.log(`node adapter: ${be.info.vendor} ${be.info.architecture}; matmul ${JSON.stringify(be.info.matmul)}`);
    let profile: string | null = null;
    if (args.profile) {
      profile = await profileSteps(be);
      console.log(profile);
    }
    const only = args.cases ? (name: string) => args.cases!.some((p) => name.startsWith(p)) : undefined;
    const results = await runSuite(
      [oursLibrary(be, 'ours-node')],
      args.quick ? QUICK : FULL,
      (l) => console.log(`  ${l}`),
      only,
    );
    const ov = args.leakSteps > 0 ? await overheads(be, LEAK_DPO, args.leakSteps) : null;
    return { info: be.info, results, overheads: ov, profile };
  } finally {
    be.destroy();
  }
}

function overheadTable(rows: [string, Overheads | null][]): string {
  const present = rows.filter((r): r is [string, Overheads] => r[1] !== null);
  if (!present.length) return '';
  const fields: [string, (o: Overheads) => string][] = [
    ['per dispatch (tiny kernel, replayed), us', (o) => o.dispatchUs.toFixed(1)],
    ['per submit (not awaited), us', (o) => o.submitUs.toFixed(1)],
    ['submit + wait round trip, us', (o) => o.roundTripUs.toFixed(0)],
    ['dispatches per DPO step (tiny)', (o) => String(o.dispatchesPerStep)],
    [`GPU buffers before / after ${present[0][1].steps} steps`, (o) => `${o.buffersBefore} / ${o.buffersAfter}`],
    ['submits for those steps', (o) => String(o.submitsPerStepRun)],
    ['bytes read back per step', (o) => String(o.readbackBytesPerStep)],
  ];
  const head = `| overhead | ${present.map((r) => r[0]).join(' | ')} |\n|---|${present.map(() => '---').join('|')}|`;
  return [head, ...fields.map(([n, f]) => `| ${n} | ${present.map((r) => f(r[1])).join(' | ')} |`)].join('\n');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = new Date();
  let page: PageResult | null = null;
  let node: NodeResult | null = null;
  if (args.browser) page = await browserRun(args);
  if (args.node) node = await nodeRun(args);

  const lines: string[] = [];
  if (page) {
    const i = page.info;
    lines.push(`Browser: ${page.userAgent}`);
    lines.push(`Adapter: ${i.vendor} / ${i.architecture} ${i.description ? `(${i.description})` : ''}`.trim());
    lines.push(`Matmul autotune: ${JSON.stringify(i.matmul)}`);
    lines.push('');
    lines.push(formatTable(page.results, 'ours', ['jax-js', 'tfjs']));
    for (const e of page.errors) lines.push(`error: ${e}`);
  }
  if (node) {
    lines.push('');
    lines.push('Our engine on Node (Dawn, same machine):');
    lines.push('');
    lines.push(formatTable(node.results, 'ours-node', []));
  }
  const ov = overheadTable([
    ['Chromium', page?.overheads ?? null],
    ['Node (Dawn)', node?.overheads ?? null],
  ]);
  if (ov) lines.push('', ov);
  if (page) {
    lines.push('');
    for (const [peer, target] of [
      ['jax-js', 1.5],
      ['tfjs', 5],
    ] as const) {
      for (const c of page.results) {
        const o = c.rates.ours;
        const p = c.rates[peer];
        if (!o?.length || !p?.length) continue;
        const need = c.unit === 'GFLOP/s' ? (peer === 'jax-js' ? 1 : 0) : target;
        if (need === 0) continue;
        const r = ratio(o, p).median;
        lines.push(`target ${c.name} vs ${peer} >= ${need}x: ${r >= need ? 'met' : 'NOT met'} (${r.toFixed(2)}x)`);
      }
    }
  }
  const text = lines.join('\n');
  console.log(`\n${text}`);
  mkdirSync(RESULTS, { recursive: true });
  const file = `${RESULTS}${started.toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify({ date: started.toISOString(), args, page, node, table: text }, null, 2));
  console.log(`\nwrote ${file}`);
}

await main();
