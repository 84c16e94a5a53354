/**
 * Random access to the bytes of a file or an in-memory buffer, so readers can
 * fetch only the ranges they need (a 300 MB checkpoint is never read twice).
 */

import * as fs from 'node:fs';
import type { ByteSource } from './buffer_source.js';

export { bufferSource, type ByteSource } from './buffer_source.js';

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
