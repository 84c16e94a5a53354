import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as zlib from 'node:zlib';

import { afterAll, describe, expect, it } from 'vitest';

import { CheckpointError, DataError } from '../src/core/errors.js';
import { decodeFloat16Array, encodeBFloat16Array, encodeFloat16Array, float16BitsToNumber, bfloat16BitsToNumber, numberToBFloat16Bits, numberToFloat16Bits } from '../src/checkpoint/half.js';
import { numel, toFloat32, toInt32, type HostDType, type HostTensor } from '../src/checkpoint/host_tensor.js';
import { readNpy, writeNpy } from '../src/checkpoint/npy.js';
import { getPickleState, isPickleTuple, PickleGlobal, PickleObject } from '../src/checkpoint/pth/pickle_types.js';
import { extractStateDict, readPth } from '../src/checkpoint/pth/read_pth.js';
import { unpickle } from '../src/checkpoint/pth/unpickler.js';
import { ZipReader } from '../src/checkpoint/pth/zip_reader.js';
import { readSafetensors, readSafetensorsAsync, readSafetensorsHeader, serializeSafetensors, writeSafetensors } from '../src/checkpoint/safetensors.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'pth');
const fixture = (name: string): string => path.join(FIX, name);

interface ExpectedTensor {
  dtype: HostDType;
  shape: number[];
  values: (number | string)[];
}
interface Expected {
  pth: Record<string, Record<string, ExpectedTensor>>;
  npy: Record<string, ExpectedTensor>;
}
const expected = JSON.parse(fs.readFileSync(fixture('expected.json'), 'utf8')) as Expected;

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'ckpt-formats-'));
let tmpCount = 0;
function tmpDir(): string {
  const dir = path.join(tmpRoot, `case-${tmpCount++}`);
  fs.mkdirSync(dir);
  return dir;
}
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

/** Values in the encoding of expected.json: numbers, int64 as strings, non-finite as strings. */
function encodeValues(t: HostTensor): (number | string)[] {
  if (t.dtype === 'int64') return Array.from(t.data as BigInt64Array, (v) => v.toString());
  const data = t.dtype === 'float16' || t.dtype === 'bfloat16' ? toFloat32(t).data : (t.data as ArrayLike<number>);
  return Array.from(data, (v) => (Number.isNaN(v) ? 'nan' : v === Infinity ? 'inf' : v === -Infinity ? '-inf' : v));
}

function expectTensor(actual: unknown, want: ExpectedTensor, name: string): void {
  const t = actual as HostTensor;
  expect(t, name).toBeDefined();
  expect({ name, dtype: t.dtype, shape: t.shape }).toEqual({ name, dtype: want.dtype, shape: want.shape });
  expect(encodeValues(t), name).toEqual(want.values);
}

/** Asserts that `fn` throws an instance of `cls` whose message contains every fragment. */
function expectThrows(fn: () => unknown, cls: typeof CheckpointError | typeof DataError, ...fragments: string[]): Error {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected an error').toBeInstanceOf(cls);
  const message = (caught as Error).message;
  for (const f of fragments) expect(message).toContain(f);
  return caught as Error;
}

function asMap(v: unknown): Map<unknown, unknown> {
  expect(v).toBeInstanceOf(Map);
  return v as Map<unknown, unknown>;
}

// ---------------------------------------------------------------- .pth

describe('readPth / extractStateDict', () => {
  it('reads every tensor of a flat state dict exactly (all dtypes, views, shared storage, 0-stride, 0-d, empty)', () => {
    const obj = readPth(fixture('flat.pth'));
    const sd = extractStateDict(obj, fixture('flat.pth'));
    const want = expected.pth['flat.pth'];
    expect(new Set(sd.keys())).toEqual(new Set(Object.keys(want)));
    for (const [name, t] of Object.entries(want)) expectTensor(sd.get(name), t, name);
    // the Map keeps the order of the OrderedDict
    expect([...sd.keys()].slice(0, 3)).toEqual(['f32', 'f16', 'bf16']);
    expect(sd.get('scalar')?.shape).toEqual([]);
    expect(sd.get('empty')?.data.length).toBe(0);
  });

  it('reads a nested checkpoint: model weights, epoch, metadata and opaque objects', () => {
    const file = fixture('nested.pth');
    const obj = asMap(readPth(file));
    expect([...obj.keys()]).toEqual(['model', 'epoch', 'meta', 'optimizer']);
    expect(obj.get('epoch')).toBe(3);

    const sd = extractStateDict(obj, file);
    for (const [name, t] of Object.entries(expected.pth['flat.pth'])) expectTensor(sd.get(name), t, name);

    const meta = asMap(obj.get('meta'));
    expect(meta.get('numpy_scalar')).toBe(0.25);
    expect(meta.get('numpy_int')).toBe(7);
    const arr = meta.get('numpy_array') as HostTensor;
    expect(arr.dtype).toBe('int64');
    expect(arr.shape).toEqual([2, 3]);
    expect(encodeValues(arr)).toEqual(['0', '1', '2', '3', '4', '5']);
    const tuple = meta.get('tuple');
    expect(isPickleTuple(tuple)).toBe(true);
    expect(tuple).toEqual([1, 'a', 2.5]);
    expect(meta.get('config')).toBe("model = dict(type='SwinTransformer', depths=[2, 2, 6, 2])");
    expect(meta.get('lr')).toBe(1e-4);
    expect(meta.get('big')).toBe(2n ** 70n);
    expect(meta.get('bytes')).toEqual(new Uint8Array([0, 1, 255]));
    expect(meta.get('set')).toEqual(new Set([1, 2]));
    expect(meta.get('none')).toBeNull();
    expect(meta.get('flag')).toBe(true);
    expect(meta.get('dtype')).toEqual(new PickleGlobal('torch', 'float16'));

    const custom = meta.get('custom');
    expect(custom).toBeInstanceOf(PickleObject);
    const c = custom as PickleObject;
    expect([c.module, c.name]).toEqual(['__main__', 'Custom']);
    expect(c.state).toEqual(
      new Map<string, unknown>([
        ['name', 'swin'],
        ['depths', [2, 2, 6, 2]],
      ]),
    );
    const ns = meta.get('namespace') as PickleObject;
    expect(ns).toBeInstanceOf(PickleObject);
    expect(ns.qualifiedName).toBe('argparse.Namespace');
    expect(ns.state).toEqual(new Map([['lr', 0.01]]));

    // optimizer state: a dict with a non-string (int) key holding a tensor
    const state = asMap(asMap(obj.get('optimizer')).get('state'));
    const slot = asMap(state.get(0));
    expect(slot.get('step')).toBe(3);
    expect((slot.get('exp_avg') as HostTensor).shape).toEqual([2]);
  });

  it("picks the 'state_dict' entry of an mmseg-style checkpoint", () => {
    const file = fixture('state_dict.pth');
    const obj = asMap(readPth(file));
    const sd = extractStateDict(obj, file);
    const want = expected.pth['state_dict.pth'];
    expect([...sd.keys()].sort()).toEqual(Object.keys(want).sort());
    for (const [name, t] of Object.entries(want)) expectTensor(sd.get(name), t, name);
    expect(asMap(obj.get('meta')).get('CLASSES')).toEqual(['road', 'sky']);
  });

  it('names the file and the top-level keys when no state dict is found', () => {
    const obj = new Map<unknown, unknown>([
      ['epoch', 1],
      ['weights', [1, 2]],
    ]);
    expectThrows(() => extractStateDict(obj, '/x/ckpt.pth'), CheckpointError, '/x/ckpt.pth', "'epoch'", "'weights'", 'state_dict');
    expectThrows(() => extractStateDict([1], '/x/list.pth'), CheckpointError, '/x/list.pth', 'a list');
    // a 'model' entry that is not a dict of tensors falls through to the error
    const notTensors = new Map<unknown, unknown>([['model', new Map([['a', 1]])]]);
    expectThrows(() => extractStateDict(notTensors, '/x/m.pth'), CheckpointError, '/x/m.pth', "'model'");
  });

  it('rejects a truncated .pth with a CheckpointError naming the file', () => {
    const file = fixture('truncated.pth');
    expectThrows(() => readPth(file), CheckpointError, file, 'truncated or not a zip archive; PyTorch >= 1.6 .pth files are zip archives');
  });

  it('rejects a legacy (pre-1.6) torch file and suggests re-saving', () => {
    const file = fixture('legacy.pth');
    expectThrows(() => readPth(file), CheckpointError, file, 'legacy', 'torch >= 1.6', 'torch.save(obj, f)');
  });

  it('rejects a file that is not a zip archive, and a missing file', () => {
    const file = path.join(tmpDir(), 'notes.pth');
    fs.writeFileSync(file, 'this is not a checkpoint at all, just some text\n');
    expectThrows(() => readPth(file), CheckpointError, file, 'truncated or not a zip archive');
    const missing = path.join(tmpDir(), 'missing.pth');
    expectThrows(() => readPth(missing), CheckpointError, missing);
  });

  it('detects storage corruption through the zip CRC', () => {
    const bytes = new Uint8Array(fs.readFileSync(fixture('state_dict.pth')));
    const zip = ZipReader.fromBuffer(bytes, 'orig');
    const entry = zip.entry('state_dict/data/0');
    expect(entry).toBeDefined();
    // flip one byte inside the stored data of the first storage
    const local = entry!.localHeaderOffset;
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    const dataStart = local + 30 + view.getUint16(local + 26, true) + view.getUint16(local + 28, true);
    bytes[dataStart] ^= 0xff;
    const file = path.join(tmpDir(), 'corrupt.pth');
    fs.writeFileSync(file, bytes);
    expectThrows(() => readPth(file), CheckpointError, file, 'CRC-32 mismatch', 'state_dict/data/0');
  });
});

// ---------------------------------------------------------------- unpickler

describe('unpickle', () => {
  for (let proto = 0; proto <= 5; proto++) {
    it(`decodes a pickle of protocol ${proto}`, () => {
      const v = asMap(unpickle(fs.readFileSync(fixture(`pickle_p${proto}.pkl`)), { name: `p${proto}` }));
      expect(v.get('int')).toBe(1);
      expect(v.get('neg')).toBe(-5);
      expect(v.get('i32')).toBe(2 ** 31 - 1);
      expect(v.get('u16')).toBe(40000);
      expect(v.get('big')).toBe(2n ** 70n);
      expect(v.get('negbig')).toBe(-(2n ** 65n));
      expect(v.get('float')).toBe(1.5);
      expect(v.get('inf')).toBe(Infinity);
      expect(v.get('str')).toBe('h\u00e9llo \u2603 \u{1d11e}');
      expect(v.get('empty')).toBe('');
      expect(v.get('bytes')).toEqual(new Uint8Array([0, 255]));
      expect(v.get('bytearray')).toEqual(new Uint8Array([97, 98]));
      expect(v.get('list')).toEqual([1, [2, 3]]);
      for (const [k, want] of [
        ['tuple0', []],
        ['tuple1', [1]],
        ['tuple2', [1, 2]],
        ['tuple3', [1, 2, 3]],
        ['tuple4', [1, 2, 3, 4]],
      ] as const) {
        expect(v.get(k)).toEqual(want);
        expect(isPickleTuple(v.get(k))).toBe(true);
      }
      expect(v.get('set')).toEqual(new Set([1, 2]));
      expect(v.get('frozenset')).toEqual(new Set([3]));
      expect(v.get('none')).toBeNull();
      expect(v.get('true')).toBe(true);
      expect(v.get('false')).toBe(false);
      const keys = asMap(v.get('keys'));
      expect(keys.get(5)).toBe('int-key');
      const tupleKey = [...keys.keys()].find((k) => Array.isArray(k));
      expect(tupleKey).toEqual([1, 2]);
      expect(keys.get(tupleKey)).toBe('tuple-key');
      expect([...asMap(v.get('ordered')).entries()]).toEqual([
        ['b', 1],
        ['a', 2],
      ]);
      const shared = v.get('shared') as unknown[][];
      expect(shared[0]).toBe(shared[1]); // memo keeps identity
      const selfref = v.get('selfref') as unknown[];
      expect(selfref[0]).toBe(selfref); // recursive structures survive
      const ns = v.get('namespace') as PickleObject;
      expect(ns).toBeInstanceOf(PickleObject);
      expect(ns.qualifiedName).toBe('argparse.Namespace');
    });
  }

  it('never executes anything: os.system becomes an inert PickleObject', () => {
    const marker = '/tmp/pickle-evil-ran';
    fs.rmSync(marker, { force: true });
    const v = asMap(unpickle(fs.readFileSync(fixture('evil.pkl')), { name: 'evil.pkl' }));
    const x = v.get('x') as PickleObject;
    expect(x).toBeInstanceOf(PickleObject);
    expect(['posix.system', 'os.system', 'nt.system']).toContain(x.qualifiedName);
    expect(x.args).toEqual(['echo SHOULD-NEVER-RUN > /tmp/pickle-evil-ran']);
    expect(fs.existsSync(marker)).toBe(false);
  });

  const bytesOf = (...parts: (string | number[])[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((c) => c.charCodeAt(0)) : p)));
  const u64le = (n: number): number[] => [n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24, 0, 0, 0, 0];

  it('handles POP, POP_MARK, DUP, text STRING, BINSTRING, LONG1/LONG4, INST, OBJ, PERSID, NEWOBJ_EX and the 8-byte forms', () => {
    const run = (b: Uint8Array, persistentLoad?: (pid: unknown) => unknown): unknown => unpickle(b, { name: 'hand', persistentLoad });
    expect(run(bytesOf([0x80, 2], 'K', [1], 'K', [2], '0(K', [3], 'K', [4], '12', [0x86], '.'))).toEqual([1, 1]);
    expect(run(bytesOf("S'a\\x41\\n\\''\n."))).toBe("aA\n'");
    expect(run(bytesOf('U', [3], 'abc.'))).toBe('abc');
    expect(run(bytesOf('T', [2, 0, 0, 0], [0xff, 0xfe], '.'))).toEqual(new Uint8Array([0xff, 0xfe]));
    expect(run(bytesOf([0x8a, 1, 0xff], '.'))).toBe(-1);
    expect(run(bytesOf([0x8b, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], '.'))).toBe(2n ** 64n);
    expect(run(bytesOf('I01\n.'))).toBe(true);
    expect(run(bytesOf('L-12345678901234567890L\n.'))).toBe(-12345678901234567890n);
    expect(run(bytesOf('F-2.5\n.'))).toBe(-2.5);
    expect(run(bytesOf('Vsnow \\u2603\n.'))).toBe('snow \u2603');
    const inst = run(bytesOf('(K', [1], 'iargparse\nNamespace\n.')) as PickleObject;
    expect([inst.qualifiedName, inst.args]).toEqual(['argparse.Namespace', [1]]);
    const obj = run(bytesOf('(cmy.mod\nThing\nK', [2], 'o.')) as PickleObject;
    expect([obj.qualifiedName, obj.args]).toEqual(['my.mod.Thing', [2]]);
    expect(run(bytesOf('Pabc\n.'), (pid) => `loaded:${String(pid)}`)).toBe('loaded:abc');
    const ex = run(bytesOf([0x80, 4, 0x8c, 3], 'a.b', [0x8c, 1], 'C', [0x93], ')}', [0x8c, 1], 'k', 'K', [9], 's', [0x92], '.')) as PickleObject;
    expect([ex.qualifiedName, [...(ex.kwargs ?? new Map()).entries()]]).toEqual(['a.b.C', [['k', 9]]]);
    expect(run(bytesOf([0x8d], u64le(2), 'hi.'))).toBe('hi');
    expect(run(bytesOf([0x8e], u64le(1), [7], '.'))).toEqual(new Uint8Array([7]));
    expect(run(bytesOf('B', [2, 0, 0, 0], [1, 2], '.'))).toEqual(new Uint8Array([1, 2]));
    expect(run(bytesOf('C', [1], [9], '.'))).toEqual(new Uint8Array([9]));
    expect(run(bytesOf('(K', [1], 'K', [2], 'l.'))).toEqual([1, 2]);
    expect(run(bytesOf('(K', [1], 'K', [2], 'd.'))).toEqual(new Map([[1, 2]]));
    expect(run(bytesOf('J', [0xfe, 0xff, 0xff, 0xff], '.'))).toBe(-2);
    expect(run(bytesOf('G', [0x3f, 0xf8, 0, 0, 0, 0, 0, 0], '.'))).toBe(1.5);
    const buf = new Uint8Array([5, 6]);
    expect(unpickle(bytesOf([0x80, 5, 0x97, 0x98], '.'), { name: 'oob', buffers: [buf] })).toBe(buf);
    // BUILD on a dict keeps the state retrievable (PyTorch's OrderedDict._metadata)
    const built = run(bytesOf('}}U', [1], 'mK', [1], 'sb.')) as Map<unknown, unknown>;
    expect(getPickleState(built)).toEqual(new Map([['m', 1]]));
  });

  it('reports truncated data, unknown opcodes and missing persistent_load with the name', () => {
    expectThrows(() => unpickle(bytesOf([0x80, 2], 'X', [5, 0, 0, 0], 'ab'), { name: 'trunc.pkl' }), CheckpointError, 'trunc.pkl', 'truncated');
    expectThrows(() => unpickle(bytesOf([0x80, 2, 0xff]), { name: 'bad.pkl' }), CheckpointError, 'bad.pkl', 'unknown opcode 0xff');
    expectThrows(() => unpickle(bytesOf('K', [1]), { name: 'nostop.pkl' }), CheckpointError, 'nostop.pkl', 'STOP');
    expectThrows(() => unpickle(bytesOf('Pabc\n.'), { name: 'pid.pkl' }), CheckpointError, 'pid.pkl', 'persistent');
    expectThrows(() => unpickle(bytesOf('0.'), { name: 'under.pkl' }), CheckpointError, 'under.pkl', 'underflow');
  });
});

// ---------------------------------------------------------------- zip

/** Builds a zip by hand from APPNOTE, optionally with every ZIP64 structure. */
function buildZip(entries: { name: string; data: Uint8Array; deflate?: boolean }[], zip64: boolean): Uint8Array {
  const chunks: number[] = [];
  const u16 = (v: number): void => void chunks.push(v & 0xff, (v >> 8) & 0xff);
  const u32 = (v: number): void => void chunks.push(v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff);
  const u64 = (v: number): void => (u32(v % 2 ** 32), u32(Math.floor(v / 2 ** 32)));
  const central: { name: Uint8Array; crc: number; comp: number; size: number; offset: number; method: number }[] = [];
  for (const e of entries) {
    const name = new TextEncoder().encode(e.name);
    const stored = e.deflate ? zlib.deflateRawSync(e.data) : e.data;
    const crc = zlib.crc32(e.data);
    const offset = chunks.length;
    u32(0x04034b50);
    u16(45);
    u16(0);
    u16(e.deflate ? 8 : 0);
    u16(0);
    u16(0);
    u32(crc);
    u32(zip64 ? 0xffffffff : stored.length);
    u32(zip64 ? 0xffffffff : e.data.length);
    u16(name.length);
    u16(zip64 ? 20 : 0);
    chunks.push(...name);
    if (zip64) {
      u16(1);
      u16(16);
      u64(e.data.length);
      u64(stored.length);
    }
    chunks.push(...stored);
    central.push({ name, crc, comp: stored.length, size: e.data.length, offset, method: e.deflate ? 8 : 0 });
  }
  const cdOffset = chunks.length;
  for (const c of central) {
    u32(0x02014b50);
    u16(45);
    u16(45);
    u16(0);
    u16(c.method);
    u16(0);
    u16(0);
    u32(c.crc);
    u32(zip64 ? 0xffffffff : c.comp);
    u32(zip64 ? 0xffffffff : c.size);
    u16(c.name.length);
    u16(zip64 ? 28 : 0);
    u16(0);
    u16(0);
    u16(0);
    u32(0);
    u32(zip64 ? 0xffffffff : c.offset);
    chunks.push(...c.name);
    if (zip64) {
      u16(1);
      u16(24);
      u64(c.size);
      u64(c.comp);
      u64(c.offset);
    }
  }
  const cdSize = chunks.length - cdOffset;
  if (zip64) {
    const recordOffset = chunks.length;
    u32(0x06064b50);
    u64(44);
    u16(45);
    u16(45);
    u32(0);
    u32(0);
    u64(central.length);
    u64(central.length);
    u64(cdSize);
    u64(cdOffset);
    u32(0x07064b50);
    u32(0);
    u64(recordOffset);
    u32(1);
  }
  u32(0x06054b50);
  u16(0);
  u16(0);
  u16(zip64 ? 0xffff : central.length);
  u16(zip64 ? 0xffff : central.length);
  u32(zip64 ? 0xffffffff : cdSize);
  u32(zip64 ? 0xffffffff : cdOffset);
  u16(0);
  return Uint8Array.from(chunks);
}

describe('ZipReader', () => {
  const text = new TextEncoder().encode('hello zip '.repeat(50));
  const bin = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
  for (const zip64 of [false, true]) {
    it(`reads stored and deflated entries${zip64 ? ' through ZIP64 records and extra fields' : ''}`, () => {
      const zip = ZipReader.fromBuffer(
        buildZip(
          [
            { name: 'a/text.txt', data: text, deflate: true },
            { name: 'a/data/0', data: bin },
          ],
          zip64,
        ),
        'built.zip',
      );
      expect(zip.entries.map((e) => e.name)).toEqual(['a/text.txt', 'a/data/0']);
      expect(zip.read('a/text.txt')).toEqual(text);
      expect(zip.read('a/data/0')).toEqual(bin);
      expectThrows(() => zip.read('nope'), CheckpointError, 'built.zip', 'nope');
    });
  }

  it('rejects truncated archives naming the file', () => {
    const whole = buildZip([{ name: 'x', data: bin }], false);
    expectThrows(() => ZipReader.fromBuffer(whole.subarray(0, whole.length - 5), 'cut.zip'), CheckpointError, 'cut.zip', 'truncated or not a zip archive');
    expectThrows(() => ZipReader.fromBuffer(new Uint8Array(3), 'tiny.zip'), CheckpointError, 'tiny.zip', 'truncated or not a zip archive');
  });
});

// ---------------------------------------------------------------- safetensors

const ALL_DTYPES: HostTensor[] = [
  { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1.5, -2, 3.25, 0, -0, 1e-30]) },
  { dtype: 'float64', shape: [3], data: Float64Array.from([Math.PI, -1e300, 5e-324]) },
  { dtype: 'float16', shape: [2, 2], data: encodeFloat16Array([1, -0.5, 65504, 6e-8]) },
  { dtype: 'bfloat16', shape: [3], data: encodeBFloat16Array([1, -3.140625, 1e38]) },
  { dtype: 'int64', shape: [2], data: BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n]) },
  { dtype: 'int32', shape: [1, 2], data: Int32Array.from([-(2 ** 31), 2 ** 31 - 1]) },
  { dtype: 'int16', shape: [2], data: Int16Array.from([-32768, 32767]) },
  { dtype: 'int8', shape: [3], data: Int8Array.from([-128, 0, 127]) },
  { dtype: 'uint8', shape: [2, 1], data: Uint8Array.from([0, 255]) },
  { dtype: 'bool', shape: [3], data: Uint8Array.from([1, 0, 1]) },
  { dtype: 'float32', shape: [], data: Float32Array.from([7]) },
  { dtype: 'float32', shape: [0, 5], data: new Float32Array(0) },
];

/** Builds a safetensors byte buffer by hand: 8-byte LE length, header text (padded by the caller), data. */
function buildSafetensors(header: string, data: number[] | Uint8Array): Uint8Array {
  const h = new TextEncoder().encode(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

describe('safetensors', () => {
  it('round-trips every dtype with metadata, through a file and through a buffer', async () => {
    const tensors = new Map(ALL_DTYPES.map((t, i) => [`t${i}.${t.dtype}`, t] as [string, HostTensor]));
    const metadata = { format: 'pt', note: 'ünïcode ✓', '0': 'integer-like key' };
    const file = path.join(tmpDir(), 'all.safetensors');
    writeSafetensors(file, tensors, metadata);
    const bytes = fs.readFileSync(file);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect(headerLength % 8).toBe(0);
    expect(String.fromCharCode(bytes[8])).toBe('{');
    for (const back of [readSafetensors(file), readSafetensors(bytes, { name: 'mem' }), await readSafetensorsAsync(file)]) {
      expect(back.metadata).toEqual(metadata);
      expect(new Set(back.tensors.keys())).toEqual(new Set(tensors.keys()));
      for (const [name, t] of tensors) {
        const r = back.tensors.get(name)!;
        expect({ dtype: r.dtype, shape: r.shape }).toEqual({ dtype: t.dtype, shape: t.shape });
        expect(r.data).toEqual(t.data);
        expect(r.data.constructor).toBe(t.data.constructor);
      }
    }
    expect(serializeSafetensors(tensors, metadata)).toEqual(new Uint8Array(bytes));
    // data layout: decreasing itemsize, then name; contiguous from offset 0
    const header = readSafetensorsHeader(file);
    expect(header.entries[0].begin).toBe(0);
    const itemsizes = header.entries.filter((e) => e.end > e.begin).map((e) => (e.end - e.begin) / numel(e.shape));
    expect(itemsizes).toEqual([...itemsizes].sort((x, y) => y - x));
    for (let i = 1; i < header.entries.length; i++) expect(header.entries[i].begin).toBe(header.entries[i - 1].end);
    // a plain object works as input too
    writeSafetensors(file, { a: ALL_DTYPES[0] });
    expect([...readSafetensors(file).tensors.keys()]).toEqual(['a']);
    expect(readSafetensors(file).metadata).toEqual({});
  });

  it("decodes buffers built by hand from the specification's documented layout", () => {
    // The example of the reference implementation's documentation: one I32 [2,2] tensor of zeros.
    const doc = buildSafetensors('{"test":{"dtype":"I32","shape":[2,2],"data_offsets":[0,16]}}', new Array(16).fill(0));
    expect(doc[0]).toBe(0x3c); // '<' = 60, the header length in the documented bytes
    const a = readSafetensors(doc, { name: 'doc' });
    expect(a.tensors.get('test')).toEqual({ dtype: 'int32', shape: [2, 2], data: new Int32Array(4) });

    // The README layout: {"TENSOR_NAME": {"dtype": "F16", "shape": [...], "data_offsets": [BEGIN, END]}, ...}
    // with __metadata__, keys in any order, spaces and trailing-space padding.
    const header =
      '{"__metadata__": {"format": "pt"}, "NEXT_TENSOR_NAME": {"dtype": "I64", "shape": [2], "data_offsets": [8, 24]}, ' +
      '"TENSOR_NAME": {"dtype": "F16", "shape": [1, 2, 2], "data_offsets": [0, 8]}}';
    const padded = header + ' '.repeat((8 - (header.length % 8)) % 8);
    const data = [
      0x00,
      0x3c,
      0x00,
      0xc0,
      0x00,
      0x38,
      0xff,
      0x7b, // F16 1.0, -2.0, 0.5, 65504 (little-endian)
      0x05,
      0,
      0,
      0,
      0,
      0,
      0,
      0, // I64 5
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff, // I64 -1
    ];
    const b = readSafetensors(buildSafetensors(padded, data), { name: 'readme' });
    expect(b.metadata).toEqual({ format: 'pt' });
    const f16 = b.tensors.get('TENSOR_NAME')!;
    expect(f16.shape).toEqual([1, 2, 2]);
    expect(Array.from(toFloat32(f16).data)).toEqual([1, -2, 0.5, 65504]);
    expect(b.tensors.get('NEXT_TENSOR_NAME')!.data).toEqual(BigInt64Array.from([5n, -1n]));
    expect([...b.tensors.keys()]).toEqual(['TENSOR_NAME', 'NEXT_TENSOR_NAME']); // data order
  });

  const reject = (name: string, bytes: Uint8Array, ...fragments: string[]): void => {
    const file = path.join(tmpDir(), name);
    fs.writeFileSync(file, bytes);
    expectThrows(() => readSafetensors(file), CheckpointError, file, ...fragments);
  };
  const entry = (dtype: string, shape: number[], b: number, e: number): string => JSON.stringify({ dtype, shape, data_offsets: [b, e] });

  it('rejects a header length larger than the file', () => {
    const good = buildSafetensors(`{"a":${entry('F32', [1], 0, 4)}}`, [0, 0, 0, 0]);
    const view = new DataView(good.buffer);
    view.setBigUint64(0, BigInt(good.length), true);
    reject('long-header.safetensors', good, 'header length', 'only');
    view.setBigUint64(0, 2n ** 40n, true);
    reject('huge-header.safetensors', good, 'exceeds the limit');
    reject('tiny.safetensors', new Uint8Array(5), 'at least 8 bytes');
  });

  it('rejects overlapping offsets, gaps, wrong byte sizes and incomplete coverage, naming the tensor', () => {
    reject('overlap.safetensors', buildSafetensors(`{"a":${entry('F32', [2], 0, 8)},"b":${entry('F32', [2], 4, 12)}}`, new Array(12).fill(0)), "tensor 'b'", 'overlap');
    reject('gap.safetensors', buildSafetensors(`{"a":${entry('F32', [1], 0, 4)},"b":${entry('F32', [1], 8, 12)}}`, new Array(12).fill(0)), "tensor 'b'", 'gap of 4 bytes');
    reject('start-gap.safetensors', buildSafetensors(`{"a":${entry('F32', [1], 4, 8)}}`, new Array(8).fill(0)), "tensor 'a'", 'begin at 0');
    reject('size.safetensors', buildSafetensors(`{"w":${entry('F32', [3], 0, 8)}}`, new Array(8).fill(0)), "tensor 'w'", 'expected 12 bytes', 'spanning 8 bytes');
    reject('trailing.safetensors', buildSafetensors(`{"a":${entry('U8', [2], 0, 2)}}`, [1, 2, 3]), '1 trailing bytes');
    reject('short.safetensors', buildSafetensors(`{"a":${entry('U8', [4], 0, 4)}}`, [1, 2]), 'truncated');
    reject('backwards.safetensors', buildSafetensors(`{"a":${entry('U8', [0], 2, 0)}}`, []), "tensor 'a'");
  });

  it('rejects bad JSON, a non-object header, bad dtypes, shapes and metadata', () => {
    reject('json.safetensors', buildSafetensors('{"a": {"dtype": "F32",', []), 'not valid JSON');
    reject('start.safetensors', buildSafetensors(' {}', []), "start with '{'");
    reject(
      'utf8.safetensors',
      buildSafetensors('{"\u00e9":1}', []).map((b, i) => (i === 10 ? 0xc3 : i === 11 ? 0x28 : b)),
      'UTF-8',
    );
    reject('dtype.safetensors', buildSafetensors(`{"a":${entry('F99', [1], 0, 4)}}`, [0, 0, 0, 0]), "tensor 'a'", 'unknown dtype "F99"');
    reject('u16.safetensors', buildSafetensors(`{"a":${entry('U16', [1], 0, 2)}}`, [0, 0]), 'unsupported dtype "U16"');
    reject('shape.safetensors', buildSafetensors('{"a":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}', []), "tensor 'a'", 'shape');
    reject('meta.safetensors', buildSafetensors('{"__metadata__":{"n":1}}', []), '__metadata__', "'n'", 'string');
  });

  it('writes atomically: a failure midway leaves the old file intact and no temporary file', () => {
    const dir = tmpDir();
    const file = path.join(dir, 'model.safetensors');
    writeSafetensors(file, { keep: ALL_DTYPES[0] }, { v: '1' });
    const before = fs.readFileSync(file);

    const exploding = {
      dtype: 'float32',
      shape: [4],
      get data(): Float32Array {
        throw new Error('device lost while reading tensor');
      },
    } as unknown as HostTensor;
    // 'a' sorts first and is written before the exploding tensor: the failure happens mid-file
    expect(() => writeSafetensors(file, { a: ALL_DTYPES[1], b: exploding }, { v: '2' })).toThrow('device lost');
    expect(fs.readFileSync(file)).toEqual(before);
    expect(fs.readdirSync(dir)).toEqual(['model.safetensors']);

    const wrongLength: HostTensor = { dtype: 'float32', shape: [3], data: new Float32Array(2) };
    expectThrows(() => writeSafetensors(file, { a: ALL_DTYPES[1], w: wrongLength }), CheckpointError, file, "tensor 'w'", 'expected 12 bytes');
    expect(fs.readFileSync(file)).toEqual(before);
    expect(fs.readdirSync(dir)).toEqual(['model.safetensors']);

    expectThrows(() => writeSafetensors(path.join(dir, 'no-such-dir', 'x.safetensors'), { a: ALL_DTYPES[0] }), CheckpointError, 'no-such-dir');
    expect(fs.readdirSync(dir)).toEqual(['model.safetensors']);
    expect(readSafetensors(file).metadata).toEqual({ v: '1' });
  });
});

// ---------------------------------------------------------------- npy

describe('npy', () => {
  for (const name of Object.keys(expected.npy)) {
    it(`reads ${name}`, () => {
      expectTensor(readNpy(fixture(name)), expected.npy[name], name);
    });
  }

  it('writes files byte-identical to numpy.save and reads them back', () => {
    const dir = tmpDir();
    for (const name of ['f32_rank4.npy', 'f64.npy', 'i64.npy', 'i32.npy', 'u8.npy', 'bool.npy', 'f16.npy', 'scalar.npy', 'empty.npy']) {
      const t = readNpy(fixture(name));
      const out = path.join(dir, name);
      writeNpy(out, t);
      expect(fs.readFileSync(out), name).toEqual(fs.readFileSync(fixture(name)));
    }
    expect(fs.readdirSync(dir).some((f) => f.includes('.tmp-'))).toBe(false);
    const bf16: HostTensor = { dtype: 'bfloat16', shape: [1], data: new Uint16Array(1) };
    expectThrows(() => writeNpy(path.join(dir, 'bf16.npy'), bf16), DataError, 'bf16.npy', 'bfloat16');
  });

  it('rejects fortran order, big-endian data and truncated files with a DataError naming the file', () => {
    expectThrows(() => readNpy(fixture('fortran.npy')), DataError, fixture('fortran.npy'), 'fortran_order=True', "'<f4'");
    expectThrows(() => readNpy(fixture('big_endian.npy')), DataError, fixture('big_endian.npy'), "big-endian dtype '>f4'");
    expectThrows(() => readNpy(fixture('truncated.npy')), DataError, fixture('truncated.npy'), 'truncated', '480 data bytes', 'found only 443');
    const notNpy = path.join(tmpDir(), 'x.npy');
    fs.writeFileSync(notNpy, 'PK\u0003\u0004 not numpy');
    expectThrows(() => readNpy(notNpy), DataError, notNpy, 'not a .npy file');
    const dict = "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }\n";
    const objectArray = Uint8Array.from([0x93, ...new TextEncoder().encode('NUMPY'), 1, 0, dict.length, 0, ...new TextEncoder().encode(dict), 0, 0, 0, 0, 0, 0, 0, 0]);
    expectThrows(() => readNpy(objectArray, { name: 'obj.npy' }), DataError, 'obj.npy', "'|O'");
  });
});

// ---------------------------------------------------------------- host tensors

describe('host tensor helpers', () => {
  it('decodes every float16 and bfloat16 pattern exactly and re-encodes it', () => {
    const all = Uint16Array.from({ length: 65536 }, (_, i) => i);
    const f16 = decodeFloat16Array(all);
    for (let i = 0; i < 65536; i++) {
      const v = f16[i];
      expect(v === float16BitsToNumber(i) || (Number.isNaN(v) && Number.isNaN(float16BitsToNumber(i)))).toBe(true);
      if (!Number.isNaN(v) && numberToFloat16Bits(v) !== i) throw new Error(`float16 0x${i.toString(16)} did not round-trip`);
      const b = bfloat16BitsToNumber(i);
      if (!Number.isNaN(b) && numberToBFloat16Bits(b) !== i) throw new Error(`bfloat16 0x${i.toString(16)} did not round-trip`);
    }
    expect(float16BitsToNumber(0x0001)).toBe(2 ** -24);
    expect(float16BitsToNumber(0x7bff)).toBe(65504);
    expect(numberToFloat16Bits(65520)).toBe(0x7c00); // rounds to infinity
    expect(numberToFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie to even
    expect(numberToFloat16Bits(2 ** -25)).toBe(0); // tie to even (zero)
    expect(numberToFloat16Bits(1.5 * 2 ** -25)).toBe(1);
    expect(numberToBFloat16Bits(1 + 2 ** -8)).toBe(0x3f80); // tie to even
  });

  it('converts with toFloat32 / toInt32 and checks the int32 range', () => {
    const i64: HostTensor = { dtype: 'int64', shape: [3], data: BigInt64Array.from([1n, -2n, 2147483647n]) };
    expect(toInt32(i64).data).toEqual(Int32Array.from([1, -2, 2147483647]));
    expect(toFloat32(i64).data).toEqual(Float32Array.from([1, -2, 2147483648]));
    const big: HostTensor = { dtype: 'int64', shape: [2], data: BigInt64Array.from([0n, 2n ** 31n]) };
    expect(() => toInt32(big, 'relative_position_index')).toThrow(/relative_position_index.*2147483648.*flat index 1/);
    expect(() => toInt32(ALL_DTYPES[0])).toThrow(/float32/);
    expect(toFloat32(ALL_DTYPES[1]).data).toEqual(Float32Array.from([Math.PI, -Infinity, 0]));
    expect(numel([])).toBe(1);
    expect(numel([2, 0, 3])).toBe(0);
  });
});
