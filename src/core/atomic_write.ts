/**
 * Atomic file replacement: data goes to a temporary file in the target's
 * directory, is fsynced, then renamed over the target. A crash or an error
 * at any point leaves either the old file or the complete new one at `path`,
 * never a partial file, and the temporary file is removed on failure.
 */

import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as nodePath from 'node:path';

/** Receives successive chunks of the file being written. */
export type ChunkSink = (chunk: Uint8Array) => void;

/**
 * Writes a file atomically. `produce` is called once with a sink that
 * appends bytes to the temporary file; if `produce` (or any file operation)
 * throws, the temporary file is deleted, `path` is untouched and the error
 * is rethrown — I/O errors from node:fs are passed to `wrapIoError`, which
 * turns them into the caller's error class.
 */
export function writeFileAtomic(path: string, produce: (sink: ChunkSink) => void, wrapIoError: (message: string, cause: unknown) => Error): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx');
    const target = fd;
    produce((chunk) => writeAll(target, chunk));
    fs.fsyncSync(target);
    fs.closeSync(target);
    fd = undefined;
    fs.renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing; the original error is the one to report
      }
    }
    try {
      fs.unlinkSync(tmp);
    } catch {
      // the temporary file may never have been created
    }
    if (isNodeIoError(err)) {
      throw wrapIoError(`${path}: could not write the file atomically (${err.code}: ${err.message})`, err);
    }
    throw err;
  }
  fsyncDirectory(nodePath.dirname(nodePath.resolve(path)));
}

function writeAll(fd: number, chunk: Uint8Array): void {
  let done = 0;
  while (done < chunk.length) {
    done += fs.writeSync(fd, chunk, done, chunk.length - done);
  }
}

/** Makes the rename durable where the platform allows fsync on directories. */
function fsyncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // not supported on every platform (e.g. Windows); the rename itself is atomic
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function isNodeIoError(err: unknown): err is NodeJS.ErrnoException & { code: string } {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && 'syscall' in err;
}
