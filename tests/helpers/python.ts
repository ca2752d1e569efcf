// The python3 with torch that the PyTorch export's tests run: a clear failure, never a skip, where there is none.

import { execFileSync } from 'node:child_process';

/** The first of $PYTHON, python3, /usr/bin/python3 that imports torch and numpy (scripts/test.sh tries the same). */
export function torchPython(): string {
  const tried = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
  for (const py of tried) {
    try {
      execFileSync(py, ['-c', 'import torch, numpy'], { stdio: 'ignore' });
      return py;
    } catch {
      // not this one
    }
  }
  throw new Error(
    `no python3 with torch and numpy (tried ${tried.join(', ')}): install Debian's python3-torch ` +
      '(apt-get install python3-torch) or point PYTHON at an interpreter that has torch',
  );
}
