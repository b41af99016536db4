import { FormatError } from './errors.js';
import type { DataSource } from './formats.js';

/** True when the bytes start with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Builds a DataSource from raw file bytes in any runtime. Gzip is undone with the web-standard
 * DecompressionStream (browsers, Node 18+), and the text is decoded as UTF-8.
 */
export async function sourceFromBytes(name: string, bytes: Uint8Array): Promise<DataSource> {
  if (!isGzip(bytes)) return { name, text: new TextDecoder('utf-8').decode(bytes) };
  try {
    const stream = new Blob([bytes as Uint8Array<ArrayBuffer>])
      .stream()
      .pipeThrough(new DecompressionStream('gzip'));
    return { name, text: await new Response(stream).text() };
  } catch (error) {
    throw new FormatError(
      name,
      `is not valid gzip (${(error as Error).message}); check the download is complete`,
    );
  }
}
