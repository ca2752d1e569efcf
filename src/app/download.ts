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
  a.hidden = true;
  // In the document while it is clicked: a detached link's click is a navigation some browsers drop when the page is
  // busy, and the download then never starts.
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), KEEP_URL_MS);
}

export function downloadText(text: string, name: string, type: string): void {
  downloadBlob(new Blob([text], { type }), name);
}
