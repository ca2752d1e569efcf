// Playwright drives the built app in the system's Chromium: real WebGPU through SwiftShader, and the CPU fallback.
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { defineConfig } from '@playwright/test';
import type { PreflabOptions } from './tests/e2e/fixtures';

const PORT = Number(process.env.PREFLAB_E2E_PORT ?? 4173);

/** The browser to drive: PREFLAB_CHROMIUM, else a Chromium or Chrome installed on this machine. Never a download. */
function findChromium(): string {
  const fromEnv = process.env.PREFLAB_CHROMIUM;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`PREFLAB_CHROMIUM=${fromEnv} does not exist`);
    return fromEnv;
  }
  const onPath = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'].flatMap((name) =>
    (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, name)),
  );
  const known = [
    '/usr/bin/chromium',
    ...onPath,
    '/opt/google/chrome/chrome',
    '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
    '/Applications/Chromium.app/Contents/MacOS/Chromium',
  ];
  const found = known.find((p) => existsSync(p));
  if (!found) {
    throw new Error(
      'No Chromium or Chrome found. Install one (Debian/Ubuntu: apt-get install chromium) or set PREFLAB_CHROMIUM ' +
        'to its executable. Do not use `npx playwright install`: the tests use the system browser.',
    );
  }
  return found;
}

const executablePath = findChromium();
const quiet = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
// SwiftShader is a CPU Vulkan: a real WebGPU implementation (Dawn + Tint) on machines without a GPU.
const webgpu = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-webgpu-adapter=swiftshader'];
// No WebGPU flags and no GPU: navigator.gpu exists but finds no adapter, the common way WebGPU is unavailable.
const noWebgpu = ['--disable-gpu'];

export default defineConfig<PreflabOptions>({
  testDir: 'tests/e2e',
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 2,
  timeout: 90_000,
  expect: { timeout: 45_000 },
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${PORT}`,
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'webgpu',
      testIgnore: /(screenshots|lessons|labels)\.spec\.ts$/,
      use: { expectedBackend: 'webgpu', launchOptions: { executablePath, args: [...quiet, ...webgpu] } },
    },
    {
      // The smoke test again, in a browser without WebGPU: the CPU fallback must announce itself and still work.
      // The fault tests too, but for those that break WebGPU objects (tagged @gpu). And the lessons and your own
      // labels, as a user whose browser has no WebGPU takes them: those flows are the same on either backend, the
      // other journeys train the same stages on WebGPU, and the CPU trains these small models several times faster
      // than SwiftShader.
      name: 'cpu-fallback',
      testMatch: /(smoke|faults|lessons|labels)\.spec\.ts$/,
      grepInvert: /@gpu/,
      use: { expectedBackend: 'cpu', launchOptions: { executablePath, args: [...quiet, ...noWebgpu] } },
    },
    // Main-thread responsiveness while training (`npm run bench:main-thread`): a measurement, not a test, so not in
    // `npm test`. Long tasks are wall-clock times that another program's load changes; the bench reports them.
    ...(process.env.PREFLAB_MAIN_THREAD
      ? [
          {
            name: 'main-thread',
            testDir: 'bench',
            testMatch: /main-thread\.spec\.ts$/,
            use: { expectedBackend: 'webgpu' as const, launchOptions: { executablePath, args: [...quiet, ...webgpu] } },
          },
        ]
      : []),
    // The README's screenshots (`npm run screenshots`): a document generator, not a test, so not in `npm test`. It
    // trains a 2,800-step diffusion run for its pictures, which takes minutes on SwiftShader.
    ...(process.env.PREFLAB_SCREENSHOTS
      ? [
          {
            name: 'screenshots',
            testMatch: /screenshots\.spec\.ts$/,
            timeout: 1_800_000,
            use: { expectedBackend: 'webgpu' as const, launchOptions: { executablePath, args: [...quiet, ...webgpu] } },
          },
        ]
      : []),
  ],
  webServer: {
    // scripts/test.sh builds once before this stage and sets PREFLAB_SKIP_BUILD=1.
    command: `${process.env.PREFLAB_SKIP_BUILD ? '' : 'npm run build && '}npm run preview -- --port ${PORT} --strictPort`,
    url: `http://127.0.0.1:${PORT}`,
    reuseExistingServer: false,
    timeout: 180_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
