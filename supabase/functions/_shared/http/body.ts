/**
 * Bounded reads: a body (an ERP's answer, a request to one of our functions, an inflated gzip member) is read
 * as a stream and abandoned as soon as it passes its byte limit, so a 100 MB answer or a gzip bomb costs at
 * most the limit in memory and ends as one error, never an out-of-memory isolate.
 */

/** 16 MiB: the NF-e size limit (nfe/xml.ts DEFAULT_MAX_BYTES) and the default cap of one ERP answer. */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`body exceeds ${limit} bytes`);
    this.name = 'BodyTooLarge';
  }
}

/** Reads a stream to the end; throws BodyTooLarge (and cancels the stream) once more than `maxBytes` arrive. */
export async function readCapped(stream: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array> {
  if (!stream) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel().catch(() => {});
        throw new BodyTooLarge(maxBytes);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** Inflates a gzip member, at most `maxBytes` of output (BodyTooLarge beyond: a gzip bomb stops there). */
export async function gunzipCapped(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
  return await readCapped(stream, maxBytes);
}
