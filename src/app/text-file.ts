// A file the user chose, read as UTF-8 text: the text world's corpus and pairs inputs both open files this way.
import { readUtf8, TextError } from '../lab/worlds/text-tokens';
import { errorText } from './format';

/**
 * The text of the file chosen in a file input's change event, or why it could not be read; null when none was
 * chosen. The input is cleared, so that choosing the same file again reads it again.
 */
export async function readChosenText(ev: Event): Promise<{ text: string } | { error: string } | null> {
  const input = ev.currentTarget as HTMLInputElement;
  const file = input.files?.[0];
  input.value = '';
  if (!file) return null;
  try {
    return { text: readUtf8(new Uint8Array(await file.arrayBuffer()), `"${file.name}"`) };
  } catch (e) {
    return { error: e instanceof TextError ? e.message : `"${file.name}" could not be read: ${errorText(e)}` };
  }
}
