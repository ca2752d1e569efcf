// Save a file through a temporary link (no server involved).

/**
 * How long the file's object URL outlives the click. The browser reads the blob after the click returns, later on a
 * busy machine: a URL revoked after a second lost downloads there, and a minute costs only the blob's memory.
 */
const KEEP_URL_MS = 60_000;

export function downloadBlob(blob: Blob, name: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), KEEP_URL_MS);
}

export function downloadText(text: string, name: string, type: string): void {
  downloadBlob(new Blob([text], { type }), name);
}
