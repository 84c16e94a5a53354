/**
 * The {@link ByteSource} contract and its in-memory implementation. Nothing
 * here touches the file system, so the browser build uses it as it is.
 */

/** Positional read access to a byte sequence with a name for error messages. */
export interface ByteSource {
  /** File path or a caller-chosen label, used in every error message. */
  readonly name: string;
  /** Total length in bytes. */
  readonly size: number;
  /**
   * Returns `length` bytes starting at `offset` in a fresh Uint8Array the
   * caller owns. The caller checks bounds; reading past the end returns
   * fewer bytes.
   */
  read(offset: number, length: number): Uint8Array;
  /** Releases the file descriptor, if any. Idempotent. */
  close(): void;
}

/** A ByteSource over bytes already in memory; each read copies the range. */
export function bufferSource(bytes: Uint8Array, name: string): ByteSource {
  const plain = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength); // never a Buffer view
  return {
    name,
    size: plain.length,
    read: (offset, length) => plain.slice(offset, Math.min(plain.length, offset + length)),
    close: () => undefined,
  };
}
