// Adversarial share links, each under 64 KiB: long lists, huge records, long strings, bombs, nesting, noise. The
// share tests check every refusal is short; scripts/bench-links.ts times their decoding.

import { deflateSync } from 'fflate';
import { Philox } from '../../src/engine/rng';
import { encodeJson } from '../../src/lab/share';

export interface AdversarialLink {
  name: string;
  link: string;
}

const legacy = (json: string) =>
  '#v1.' + Buffer.from(deflateSync(new TextEncoder().encode(json))).toString('base64url');
const repeat = (item: string, n: number) => Array<string>(n).fill(item).join(',');

const bandit = '"world":{"kind":"bandit"}';
const points2d = (points: string) => `"world":{"kind":"points2d","shape":"points","points":[${points}]}`;
const sequences = '"world":{"kind":"sequences"}';

/** JSON texts of invalid experiments, each small once deflated. */
function texts(): [string, string][] {
  const badStage = `{"kind":"preference","steps":-1,"batch":0,"beta":-1,"gamma":99,"lossType":"${'x'.repeat(20_000)}"}`;
  return [
    ['130,001 zero stages', `{${bandit},"stages":[${repeat('0', 130_001)}]}`],
    ['9,000 stage objects', `{${bandit},"stages":[${repeat('{"kind":"x","steps":"y"}', 9_000)}]}`],
    ['42,000 points', `{${points2d(repeat('[9,9]', 42_000))},"stages":[{"kind":"diffusion"}]}`],
    ['64 points of long strings', `{${points2d(repeat(`"${'p'.repeat(3000)}"`, 64))},"stages":[{"kind":"diffusion"}]}`],
    [
      '6,000 models',
      `{${sequences},"models":{${Array.from({ length: 6_000 }, (_, i) => `"m${i}":0`).join(',')}},"stages":[{"kind":"sft"}]}`,
    ],
    [
      '16 models of 4,000 bad fields',
      `{${sequences},"models":{${Array.from({ length: 16 }, (_, i) => `"m${i}":{"kind":"token-mlp","context":[${repeat('1', 4000)}],"embed":"${'e'.repeat(4000)}"}`).join(',')}},"stages":[{"kind":"sft"}]}`,
    ],
    [
      'a 200 KB model name',
      `{${sequences},"models":{"${'A'.repeat(200_000)}":{"kind":"token-mlp"}},"stages":[{"kind":"sft"}]}`,
    ],
    ['a 250 KB seed string', `{${bandit},"seed":"${'9'.repeat(250_000)}","stages":[{"kind":"preference"}]}`],
    ['a 250 KB title', `{${bandit},"title":"${'t'.repeat(250_000)}","stages":[{"kind":"preference"}]}`],
    ['eight stages of long bad fields', `{${bandit},"stages":[${repeat(badStage, 8)}]}`],
    [
      'a 100,000-deep nesting',
      `{${bandit},"title":${'['.repeat(100_000)}${']'.repeat(100_000)},"stages":[{"kind":"preference"}]}`,
    ],
    [
      '30,000 unknown keys',
      `{${bandit},${Array.from({ length: 30_000 }, (_, i) => `"k${i}":1`).join(',')},"stages":[{"kind":"preference"}]}`,
    ],
    [
      'a 2 MB title (a decompression bomb)',
      `{${bandit},"title":"${'x'.repeat(2_000_000)}","stages":[{"kind":"preference"}]}`,
    ],
    ['a 250 KB world kind', `{"world":{"kind":"${'w'.repeat(250_000)}"},"stages":[{"kind":"preference"}]}`],
  ];
}

export function adversarialLinks(): AdversarialLink[] {
  const rng = new Philox(17, 3);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const noise = Array.from({ length: 32_000 }, () => alphabet[rng.int(alphabet.length)]).join('');
  return [
    ...texts().flatMap(([name, json]) => [
      { name: `${name} (v2)`, link: encodeJson(json) },
      { name: `${name} (v1)`, link: legacy(json) },
    ]),
    { name: '32,000 characters of noise (v2)', link: `#v2.${noise}` },
    { name: '32,000 characters of noise (v1)', link: `#v1.${noise}` },
    { name: 'a 64 KiB link', link: `#v2.${'A'.repeat(64 * 1024 - 5)}` },
  ].filter((c) => c.link.length < 64 * 1024);
}
