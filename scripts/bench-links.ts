// Times decodeConfig over adversarial share links (tests/helpers/links.ts) and prints each case's worst decode
// and message length, then the worst of all: `npx tsx scripts/bench-links.ts [runs]`. A case's first run includes
// compiling the decoder, as a page opening one link does.

import { decodeConfig } from '../src/lab/share';
import { adversarialLinks } from '../tests/helpers/links';

const runs = Number(process.argv[2] ?? 20);

function decode(link: string): string {
  try {
    decodeConfig(link);
    return 'decoded';
  } catch (e) {
    return (e as Error).message;
  }
}

let worst = { ms: 0, name: '' };
let longest = { chars: 0, name: '' };
for (const c of adversarialLinks()) {
  const times: number[] = [];
  let message = '';
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    message = decode(c.link);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const max = times[times.length - 1];
  console.log(
    `${c.name.padEnd(42)} ${String(c.link.length).padStart(6)} chars  max ${max.toFixed(1).padStart(6)} ms  median ${times[times.length >> 1].toFixed(1).padStart(6)} ms  message ${message.length}`,
  );
  if (max > worst.ms) worst = { ms: max, name: c.name };
  if (message.length > longest.chars) longest = { chars: message.length, name: c.name };
}
console.log(
  `worst decode: ${worst.ms.toFixed(1)} ms (${worst.name}); longest message: ${longest.chars} chars (${longest.name})`,
);
