// log_softmax: the shared row-normalization suite.

import { logSoftmaxBackward, logSoftmaxForward } from '../../src/engine/cpu/log_softmax';
import { rowNormalizationSuite } from './row-normalization-suite';

const l2 = Math.log(2),
  l4 = Math.log(4);
rowNormalizationSuite({
  name: 'log_softmax',
  forward: (be, y, x, dims) => be.logSoftmaxForward(y, x, dims),
  backward: (be, dx, dy, y, dims) => be.logSoftmaxBackward(dx, dy, y, dims),
  cpuForward: logSoftmaxForward,
  cpuBackward: logSoftmaxBackward,
  probability: (y, from, C) => {
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(y[from + c]);
    return s;
  },
  tol: { y: [1e-5, 1e-5], dx: [1e-4, 1e-5] },
  // Two 90s share the mass; -1000 beside a 0 is -1000; four equal logits are log(1/4) each.
  extreme: {
    C: 4,
    x: [90, -90, 90, -90, -1000, 0, -1000, -1000, -1000, -1000, -1000, -1000],
    want: [-l2, -180 - l2, -l2, -180 - l2, -1000, 0, -1000, -1000, -l4, -l4, -l4, -l4],
    tol: [1e-6, 1e-5],
  },
});
