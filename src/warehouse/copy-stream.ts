/**
 * What the loader hands a driver's `copyIn`: chunks of whole rows, as strings or bytes of COPY text, or a
 * binary COPY stream whose first chunk starts with the PGCOPY header (a text stream is UTF-8 and cannot
 * start with it). A byte chunk may carry a release function under RELEASE: the driver calls it once the
 * bytes have left for the server, so the loader can reuse the buffer.
 */
export type CopyChunk = string | Uint8Array;

export const RELEASE = Symbol.for('sparkify.copy.release');

/** Length of the binary COPY header ("PGCOPY\n\377\r\n\0", flags, extension) at the start of `chunk`; 0 if text. */
export function binaryHeaderLength(chunk: CopyChunk): number {
  if (typeof chunk === 'string' || chunk.length < 19) return 0;
  for (let i = 0; i < SIGNATURE.length; i++) if (chunk[i] !== SIGNATURE[i]) return 0;
  return 19 + (((chunk[15]! << 24) | (chunk[16]! << 16) | (chunk[17]! << 8) | chunk[18]!) >>> 0);
}

const SIGNATURE = [0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00];

/** The chunk's release function, if the loader gave it one. */
export function releaseOf(chunk: CopyChunk): (() => void) | undefined {
  return typeof chunk === 'string' ? undefined : (chunk as { [RELEASE]?: () => void })[RELEASE];
}
