// What the bench page returns to the driver (shared by bench/main.ts and bench/cli.ts).

import type { BackendInfo } from '../src/engine/backend';
import type { Overheads } from './ours';
import type { CaseResult } from './stats';

export interface PageOptions {
  quick: boolean;
  /** Libraries to run (default: all). */
  libs?: string[];
  /** Case name prefixes to run (default: all). */
  cases?: string[];
  leakSteps: number;
}

export interface PageResult {
  userAgent: string;
  info: BackendInfo;
  results: CaseResult[];
  overheads: Overheads | null;
  errors: string[];
}
