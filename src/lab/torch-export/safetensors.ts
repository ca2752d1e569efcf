// A safetensors writer: 8 bytes of header length (little-endian u64), a JSON header naming each tensor's dtype,
// shape and byte range, then the tensors' raw little-endian bytes, with no gaps (the format of Hugging Face's
// `safetensors`, which reads these files, as does the export's own reader in preflab.py).

export type SafeTensor =
  | { dtype: 'F64'; shape: number[]; data: Float64Array }
  | { dtype: 'F32'; shape: number[]; data: Float32Array }
  | { dtype: 'I32'; shape: number[]; data: Int32Array }
  | { dtype: 'U8'; shape: number[]; data: Uint8Array };

const BYTES = { F64: 8, F32: 4, I32: 4, U8: 1 } as const;

/** Little-endian bytes of a tensor, whatever the machine's own byte order. */
function littleEndian(t: SafeTensor): Uint8Array {
  const out = new Uint8Array(t.data.length * BYTES[t.dtype]);
  const view = new DataView(out.buffer);
  for (let i = 0; i < t.data.length; i++) {
    if (t.dtype === 'F64') view.setFloat64(8 * i, t.data[i], true);
    else if (t.dtype === 'F32') view.setFloat32(4 * i, t.data[i], true);
    else if (t.dtype === 'I32') view.setInt32(4 * i, t.data[i], true);
    else out[i] = t.data[i];
  }
  return out;
}

/**
 * The bytes of a .safetensors file holding `tensors`. Tensors are laid out widest dtype first, then by name, and
 * the header is padded with spaces to 8 bytes, so every tensor starts aligned to its element size.
 */
export function writeSafetensors(
  tensors: Record<string, SafeTensor>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const names = Object.keys(tensors).sort(
    (a, b) => BYTES[tensors[b].dtype] - BYTES[tensors[a].dtype] || (a < b ? -1 : a > b ? 1 : 0),
  );
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new Error(`safetensors: ${name} has shape [${t.shape.join(', ')}] but ${t.data.length} elements`);
    const bytes = littleEndian(t);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const head = new Uint8Array(Math.ceil(json.length / 8) * 8).fill(0x20);
  head.set(json);
  const out = new Uint8Array(8 + head.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
