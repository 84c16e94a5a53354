/**
 * Random access to the bytes of a file or an in-memory buffer, so readers can
 * fetch only the ranges they need (a 300 MB checkpoint is never read twice).
 */

import * as fs from 'node:fs';

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

/**
 * A ByteSource over a file opened read-only. Each `read` is one positional
 * read into a fresh buffer. Call `close()` when done.
 */
export function fileSource(path: string): ByteSource {
  const fd = fs.openSync(path, 'r');
  let open = true;
  const size = fs.fstatSync(fd).size;
  return {
    name: path,
    size,
    read(offset, length) {
      const n = Math.max(0, Math.min(length, size - offset));
      const out = new Uint8Array(n);
      let done = 0;
      while (done < n) {
        const got = fs.readSync(fd, out, done, n - done, offset + done);
        if (got === 0) break;
        done += got;
      }
      return done === n ? out : out.subarray(0, done);
    },
    close() {
      if (open) {
        open = false;
        fs.closeSync(fd);
      }
    },
  };
}
