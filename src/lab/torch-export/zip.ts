// The export folder as one zip (what the app downloads): every file under one top folder, as `lab export` writes it.

import { strToU8, zipSync } from 'fflate';
import type { ExportFile } from './index';

export function torchExportZip(files: readonly ExportFile[], folder: string): Uint8Array {
  const entries: Record<string, Uint8Array> = {};
  for (const f of files) entries[`${folder}/${f.name}`] = typeof f.data === 'string' ? strToU8(f.data) : f.data;
  return zipSync(entries);
}
