/**
 * A minimal read-only ZIP reader (PKWARE APPNOTE 6.3): end-of-central-
 * directory search, ZIP64 end-of-central-directory locator and record, ZIP64
 * extended-information extra fields, central directory and local headers.
 * Entries may be stored (method 0) or deflated (method 8); CRC-32 is checked.
 * Entry data is read on demand, so large archives are not loaded whole.
 */

import * as zlib from 'node:zlib';

import { CheckpointError } from '../../core/errors.js';
import { bufferSource, fileSource, type ByteSource } from '../byte_source.js';

const SIG_LOCAL = 0x04034b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_EOCD = 0x06054b50;
const SIG_ZIP64_EOCD = 0x06064b50;
const SIG_ZIP64_LOCATOR = 0x07064b50;
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;

/** Appended to every "this is not a readable archive" message. */
export const NOT_A_ZIP_HINT = 'truncated or not a zip archive; PyTorch >= 1.6 .pth files are zip archives';

/** One file in the archive, from its central directory record. */
export interface ZipEntry {
  /** Path inside the archive. */
  name: string;
  /** 0 = stored, 8 = deflate. */
  method: number;
  /** General-purpose flags. */
  flags: number;
  /** CRC-32 of the uncompressed data. */
  crc32: number;
  /** Bytes stored in the archive. */
  compressedSize: number;
  /** Bytes after decompression. */
  uncompressedSize: number;
  /** Offset of the entry's local header. */
  localHeaderOffset: number;
}

/** Random-access reader of a ZIP archive. Call `close()` when done. */
export class ZipReader {
  /** Central directory entries in archive order. */
  readonly entries: readonly ZipEntry[];
  private readonly byName: Map<string, ZipEntry>;

  private constructor(private readonly src: ByteSource) {
    this.entries = readCentralDirectory(src);
    this.byName = new Map(this.entries.map((e) => [e.name, e]));
  }

  /** Opens a ZIP file. Throws a CheckpointError naming the file if it is not a readable archive. */
  static open(path: string): ZipReader {
    let src: ByteSource;
    try {
      src = fileSource(path);
    } catch (err) {
      throw new CheckpointError(`${path}: expected a readable file (${(err as Error).message})`, { cause: err });
    }
    try {
      return new ZipReader(src);
    } catch (err) {
      src.close();
      throw err;
    }
  }

  /** Reads a ZIP archive held in memory; `name` labels error messages. */
  static fromBuffer(bytes: Uint8Array, name = '<buffer>'): ZipReader {
    return new ZipReader(bufferSource(bytes, name));
  }

  /** File path or label used in error messages. */
  get name(): string {
    return this.src.name;
  }

  /** The entry with this exact name, if present. */
  entry(name: string): ZipEntry | undefined {
    return this.byName.get(name);
  }

  /**
   * Returns the uncompressed content of an entry, checking sizes and CRC-32.
   * Throws a CheckpointError naming the archive and the entry.
   */
  read(entryOrName: ZipEntry | string): Uint8Array {
    const e = typeof entryOrName === 'string' ? this.byName.get(entryOrName) : entryOrName;
    const file = this.src.name;
    if (e === undefined) throw new CheckpointError(`${file}: expected an archive entry '${String(entryOrName)}', found none`);
    const where = `${file}: entry '${e.name}'`;
    if (e.flags & 1) throw new CheckpointError(`${where}: is encrypted; expected an unencrypted archive`);
    const local = this.src.read(e.localHeaderOffset, 30);
    if (local.length < 30 || u32(local, 0) !== SIG_LOCAL) {
      throw new CheckpointError(`${where}: expected a local file header at offset ${e.localHeaderOffset}; ${NOT_A_ZIP_HINT}`);
    }
    const dataStart = e.localHeaderOffset + 30 + u16(local, 26) + u16(local, 28);
    if (dataStart + e.compressedSize > this.src.size) {
      throw new CheckpointError(`${where}: expected ${e.compressedSize} bytes at offset ${dataStart}, but the file has ${this.src.size} bytes; ${NOT_A_ZIP_HINT}`);
    }
    const raw = this.src.read(dataStart, e.compressedSize);
    let data: Uint8Array;
    if (e.method === 0) {
      data = raw;
    } else if (e.method === 8) {
      try {
        const inflated = zlib.inflateRawSync(raw);
        data = new Uint8Array(inflated.buffer, inflated.byteOffset, inflated.byteLength);
      } catch (err) {
        throw new CheckpointError(`${where}: corrupt deflate data (${(err as Error).message})`, { cause: err });
      }
    } else {
      throw new CheckpointError(`${where}: unsupported compression method ${e.method}; expected 0 (stored) or 8 (deflate)`);
    }
    if (data.length !== e.uncompressedSize) {
      throw new CheckpointError(`${where}: expected ${e.uncompressedSize} bytes after decompression, found ${data.length}`);
    }
    const crc = crc32(data);
    if (crc !== e.crc32) {
      throw new CheckpointError(`${where}: CRC-32 mismatch (expected ${hex32(e.crc32)}, found ${hex32(crc)}); the file is corrupt`);
    }
    return data;
  }

  /** Releases the underlying file. */
  close(): void {
    this.src.close();
  }
}

function readCentralDirectory(src: ByteSource): ZipEntry[] {
  const file = src.name;
  const fail: (msg: string) => never = (msg) => {
    throw new CheckpointError(`${file}: ${msg}; ${NOT_A_ZIP_HINT}`);
  };
  if (src.size < EOCD_SIZE) fail(`expected at least ${EOCD_SIZE} bytes (an end-of-central-directory record), found ${src.size}`);
  const tailStart = Math.max(0, src.size - EOCD_SIZE - MAX_COMMENT);
  const tail = src.read(tailStart, src.size - tailStart);
  const eocdInTail = findEocd(tail);
  if (eocdInTail < 0) {
    const head = src.read(0, 4);
    const looksZip = head.length === 4 && u32(head, 0) === SIG_LOCAL;
    fail(looksZip ? `starts like a zip archive but has no end-of-central-directory record (${src.size} bytes)` : 'expected a zip end-of-central-directory record, found none');
  }
  const eocdOffset = tailStart + eocdInTail;
  const eocd = tail.subarray(eocdInTail, eocdInTail + EOCD_SIZE);
  let diskNumber = u16(eocd, 4);
  let cdDisk = u16(eocd, 6);
  let count = u16(eocd, 10);
  let cdSize = u32(eocd, 12);
  let cdOffset = u32(eocd, 16);
  let cdLimit = eocdOffset;

  const locatorOffset = eocdOffset - 20;
  const locator = locatorOffset >= 0 ? src.read(locatorOffset, 20) : new Uint8Array(0);
  if (locator.length === 20 && u32(locator, 0) === SIG_ZIP64_LOCATOR) {
    const recordOffset = u64(locator, 8, fail);
    const record = src.read(recordOffset, 56);
    if (record.length < 56 || u32(record, 0) !== SIG_ZIP64_EOCD) {
      fail(`expected a ZIP64 end-of-central-directory record at offset ${recordOffset}`);
    }
    diskNumber = u32(record, 16);
    cdDisk = u32(record, 20);
    count = u64(record, 32, fail);
    cdSize = u64(record, 40, fail);
    cdOffset = u64(record, 48, fail);
    cdLimit = recordOffset;
  } else if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    fail('expected a ZIP64 end-of-central-directory locator before the end record, found none');
  }
  if (diskNumber !== 0 || cdDisk !== 0) fail('multi-disk (split) archives are not supported; expected a single-file archive');
  if (cdOffset + cdSize > cdLimit) {
    fail(`central directory [${cdOffset}, ${cdOffset + cdSize}) extends past its end record at ${cdLimit}`);
  }
  const cd = src.read(cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || u32(cd, p) !== SIG_CENTRAL) fail(`expected central directory record ${i} of ${count} at offset ${cdOffset + p}`);
    const nameLength = u16(cd, p + 28);
    const extraLength = u16(cd, p + 30);
    const commentLength = u16(cd, p + 32);
    const end = p + 46 + nameLength + extraLength + commentLength;
    if (end > cd.length) fail(`central directory record ${i} runs past the central directory`);
    const entry: ZipEntry = {
      flags: u16(cd, p + 8),
      method: u16(cd, p + 10),
      crc32: u32(cd, p + 16),
      compressedSize: u32(cd, p + 20),
      uncompressedSize: u32(cd, p + 24),
      localHeaderOffset: u32(cd, p + 42),
      name: new TextDecoder('utf-8').decode(cd.subarray(p + 46, p + 46 + nameLength)),
    };
    applyZip64Extra(entry, cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength), u16(cd, p + 34), fail);
    entries.push(entry);
    p = end;
  }
  return entries;
}

/** Finds the last end-of-central-directory signature whose comment fits the file; -1 if none. */
function findEocd(tail: Uint8Array): number {
  let fallback = -1;
  for (let i = tail.length - EOCD_SIZE; i >= 0; i--) {
    if (tail[i] !== 0x50 || u32(tail, i) !== SIG_EOCD) continue;
    const commentLength = u16(tail, i + 20);
    if (i + EOCD_SIZE + commentLength === tail.length) return i;
    if (fallback < 0 && i + EOCD_SIZE + commentLength <= tail.length) fallback = i;
  }
  return fallback;
}

/** Replaces 0xFFFFFFFF placeholders by the values of a ZIP64 extra field (header id 0x0001). */
function applyZip64Extra(entry: ZipEntry, extra: Uint8Array, diskStart: number, fail: (msg: string) => never): void {
  const needUncompressed = entry.uncompressedSize === 0xffffffff;
  const needCompressed = entry.compressedSize === 0xffffffff;
  const needOffset = entry.localHeaderOffset === 0xffffffff;
  if (!needUncompressed && !needCompressed && !needOffset && diskStart !== 0xffff) return;
  let q = 0;
  while (q + 4 <= extra.length) {
    const id = u16(extra, q);
    const size = u16(extra, q + 2);
    if (id === 0x0001) {
      const field = extra.subarray(q + 4, q + 4 + size);
      let r = 0;
      const next = (): number => {
        if (r + 8 > field.length) fail(`entry '${entry.name}': ZIP64 extra field is too short`);
        const v = u64(field, r, fail);
        r += 8;
        return v;
      };
      if (needUncompressed) entry.uncompressedSize = next();
      if (needCompressed) entry.compressedSize = next();
      if (needOffset) entry.localHeaderOffset = next();
      return;
    }
    q += 4 + size;
  }
  fail(`entry '${entry.name}': expected a ZIP64 extra field for its 0xFFFFFFFF size/offset, found none`);
}

function u16(b: Uint8Array, at: number): number {
  return b[at] | (b[at + 1] << 8);
}

function u32(b: Uint8Array, at: number): number {
  return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
}

function u64(b: Uint8Array, at: number, fail: (msg: string) => never): number {
  const v = u32(b, at) + u32(b, at + 4) * 2 ** 32;
  if (!Number.isSafeInteger(v)) fail(`a 64-bit size or offset (${v}) exceeds 2^53`);
  return v;
}

function hex32(v: number): string {
  return `0x${v.toString(16).padStart(8, '0')}`;
}

let crcTable: Uint32Array | undefined;

/** CRC-32 (IEEE) of `data`, using node:zlib when it provides crc32. */
export function crc32(data: Uint8Array): number {
  const native = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
  if (typeof native === 'function') return native(data) >>> 0;
  if (crcTable === undefined) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
