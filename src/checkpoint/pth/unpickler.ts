/**
 * A safe unpickler for pickle protocols 0 to 5. It interprets the opcode
 * stream as data only: globals resolve through a whitelist of handlers
 * (pickle_globals.ts, plus caller-supplied ones such as the torch handlers)
 * and every other global becomes an inert PickleGlobal / PickleObject.
 * Nothing is evaluated or executed.
 *
 * Opcode reference: CPython `Lib/pickletools.py` and PEP 307/3154/574.
 */

import { CheckpointError } from '../../core/errors.js';
import { resolveBuiltinGlobal } from './pickle_globals.js';
import { decodeLong, decodePy2String, decodeRawUnicodeEscape, latin1, parseMemoIndex, parseQuotedString, parseTextFloat, parseTextInt, utf8 } from './pickle_scalars.js';
import { isPickleBuildable, PickleCallable, PickleGlobal, PickleObject, setPickleState, type GlobalResolver } from './pickle_types.js';

/** Options of unpickle. */
export interface UnpickleOptions {
  /** File name (or label) used in every error message. */
  name: string;
  /** Handlers consulted before the built-in whitelist; return undefined for "no handler". */
  resolveGlobal?: GlobalResolver;
  /** Resolves persistent ids (PERSID / BINPERSID); without it they are an error. */
  persistentLoad?: (pid: unknown) => unknown;
  /** Out-of-band buffers for protocol 5 NEXT_BUFFER, in order. */
  buffers?: Iterable<Uint8Array>;
}

/**
 * Unpickles `bytes` into JavaScript values (see pickle_types.ts for the
 * mapping). Throws a CheckpointError naming `options.name` and the byte
 * position for malformed or truncated input.
 */
export function unpickle(bytes: Uint8Array, options: UnpickleOptions): unknown {
  return new Unpickler(bytes, options).load();
}

class Unpickler {
  private pos = 0;
  private stack: unknown[] = [];
  private marks: number[] = [];
  private readonly memo = new Map<number, unknown>();
  private readonly view: DataView;
  private readonly globals = new Map<string, unknown>();
  private readonly buffers: Iterator<Uint8Array> | undefined;
  private readonly bytes: Uint8Array;

  constructor(
    input: Uint8Array,
    private readonly options: UnpickleOptions,
  ) {
    // A plain Uint8Array view, so that slice() copies even when given a Buffer.
    this.bytes = new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
    this.buffers = options.buffers?.[Symbol.iterator]();
  }

  /** Runs a text-argument parser, turning its Error into a positioned CheckpointError. */
  private parsed<T>(at: number, parse: () => T): T {
    try {
      return parse();
    } catch (err) {
      if (err instanceof CheckpointError) throw err;
      return this.fail((err as Error).message, at);
    }
  }

  private fail(msg: string, at = this.pos): never {
    throw new CheckpointError(`${this.options.name}: pickle data: ${msg} (at byte ${at})`);
  }

  load(): unknown {
    for (;;) {
      if (this.pos >= this.bytes.length) this.fail('truncated: expected STOP opcode, found end of data');
      const at = this.pos;
      const op = this.bytes[this.pos++];
      if (this.step(op, at)) {
        if (this.stack.length === 0) this.fail('STOP with an empty stack', at);
        return this.stack.pop();
      }
    }
  }

  /** Executes one opcode; returns true on STOP. */
  private step(op: number, at: number): boolean {
    const s = this.stack;
    switch (op) {
      // ---- framing and control
      case 0x80: {
        // PROTO
        const proto = this.u8();
        if (proto > 5) this.fail(`unsupported pickle protocol ${proto}; expected 0 to 5`, at);
        return false;
      }
      case 0x95: // FRAME: an 8-byte length hint; the frame's opcodes follow inline
        this.take(8);
        return false;
      case 0x2e: // STOP '.'
        return true;
      case 0x28: // MARK '('
        this.marks.push(s.length);
        return false;
      case 0x30: // POP '0'
        if (this.marks.length > 0 && s.length === this.marks[this.marks.length - 1]) this.marks.pop();
        else this.pop(at);
        return false;
      case 0x31: // POP_MARK '1'
        this.popMark(at);
        return false;
      case 0x32: // DUP '2'
        s.push(this.top(at));
        return false;

      // ---- constants and numbers
      case 0x4e: // NONE 'N'
        s.push(null);
        return false;
      case 0x88: // NEWTRUE
        s.push(true);
        return false;
      case 0x89: // NEWFALSE
        s.push(false);
        return false;
      case 0x4a: // BININT 'J'
        s.push(this.view.getInt32(this.skip(4), true));
        return false;
      case 0x4b: // BININT1 'K'
        s.push(this.u8());
        return false;
      case 0x4d: // BININT2 'M'
        s.push(this.view.getUint16(this.skip(2), true));
        return false;
      case 0x8a: // LONG1
        s.push(decodeLong(this.take(this.u8())));
        return false;
      case 0x8b: {
        // LONG4
        const n = this.view.getInt32(this.skip(4), true);
        if (n < 0) this.fail(`negative LONG4 byte count ${n}`, at);
        s.push(decodeLong(this.take(n)));
        return false;
      }
      case 0x47: // BINFLOAT 'G' (big-endian)
        s.push(this.view.getFloat64(this.skip(8), false));
        return false;
      case 0x49: // INT 'I' (text; 00/01 are False/True)
        s.push(this.parsed(at, () => parseTextInt(this.line(), true)));
        return false;
      case 0x4c: // LONG 'L' (text, optional trailing L)
        s.push(this.parsed(at, () => parseTextInt(this.line().replace(/L$/, ''), false)));
        return false;
      case 0x46: // FLOAT 'F' (text)
        s.push(this.parsed(at, () => parseTextFloat(this.line())));
        return false;

      // ---- strings and bytes
      case 0x58: // BINUNICODE 'X'
        s.push(utf8(this.take(this.u32())));
        return false;
      case 0x8c: // SHORT_BINUNICODE
        s.push(utf8(this.take(this.u8())));
        return false;
      case 0x8d: // BINUNICODE8
        s.push(utf8(this.take(this.u64())));
        return false;
      case 0x56: // UNICODE 'V' (raw-unicode-escape text line)
        s.push(decodeRawUnicodeEscape(this.line()));
        return false;
      case 0x54: {
        // BINSTRING 'T' (Python 2 str)
        const n = this.view.getInt32(this.skip(4), true);
        if (n < 0) this.fail(`negative BINSTRING length ${n}`, at);
        s.push(decodePy2String(this.take(n)));
        return false;
      }
      case 0x55: // SHORT_BINSTRING 'U'
        s.push(decodePy2String(this.take(this.u8())));
        return false;
      case 0x53: // STRING 'S' (quoted repr text)
        s.push(decodePy2String(this.parsed(at, () => parseQuotedString(this.line()))));
        return false;
      case 0x42: // BINBYTES 'B'
        s.push(this.take(this.u32()).slice());
        return false;
      case 0x43: // SHORT_BINBYTES 'C'
        s.push(this.take(this.u8()).slice());
        return false;
      case 0x8e: // BINBYTES8
        s.push(this.take(this.u64()).slice());
        return false;
      case 0x96: // BYTEARRAY8
        s.push(this.take(this.u64()).slice());
        return false;
      case 0x97: {
        // NEXT_BUFFER
        const next = this.buffers?.next();
        if (next === undefined || next.done === true) this.fail('NEXT_BUFFER: expected an out-of-band buffer, none was supplied', at);
        s.push(next.value);
        return false;
      }
      case 0x98: // READONLY_BUFFER
        return false;

      // ---- containers
      case 0x7d: // EMPTY_DICT '}'
        s.push(new Map());
        return false;
      case 0x64: {
        // DICT 'd'
        const items = this.popMark(at);
        const m = new Map<unknown, unknown>();
        for (let i = 0; i + 1 < items.length; i += 2) m.set(items[i], items[i + 1]);
        s.push(m);
        return false;
      }
      case 0x73: {
        // SETITEM 's'
        const value = this.pop(at);
        const key = this.pop(at);
        this.setItems(this.top(at), [key, value], at);
        return false;
      }
      case 0x75: {
        // SETITEMS 'u'
        const items = this.popMark(at);
        this.setItems(this.top(at), items, at);
        return false;
      }
      case 0x5d: // EMPTY_LIST ']'
        s.push([]);
        return false;
      case 0x6c: // LIST 'l'
        s.push(this.popMark(at));
        return false;
      case 0x61: {
        // APPEND 'a'
        const value = this.pop(at);
        this.appendItems(this.top(at), [value], at);
        return false;
      }
      case 0x65: {
        // APPENDS 'e'
        const items = this.popMark(at);
        this.appendItems(this.top(at), items, at);
        return false;
      }
      case 0x29: // EMPTY_TUPLE ')'
        s.push(Object.freeze([]));
        return false;
      case 0x74: // TUPLE 't'
        s.push(Object.freeze(this.popMark(at)));
        return false;
      case 0x85: // TUPLE1
        s.push(Object.freeze(this.popN(1, at)));
        return false;
      case 0x86: // TUPLE2
        s.push(Object.freeze(this.popN(2, at)));
        return false;
      case 0x87: // TUPLE3
        s.push(Object.freeze(this.popN(3, at)));
        return false;
      case 0x8f: // EMPTY_SET
        s.push(new Set());
        return false;
      case 0x90: {
        // ADDITEMS
        const items = this.popMark(at);
        const target = this.top(at);
        if (target instanceof Set) for (const v of items) target.add(v);
        else this.appendItems(target, items, at);
        return false;
      }
      case 0x91: // FROZENSET
        s.push(new Set(this.popMark(at)));
        return false;

      // ---- memo
      case 0x71: // BINPUT 'q'
        this.memo.set(this.u8(), this.top(at));
        return false;
      case 0x72: // LONG_BINPUT 'r'
        this.memo.set(this.u32(), this.top(at));
        return false;
      case 0x70: // PUT 'p'
        this.memo.set(
          this.parsed(at, () => parseMemoIndex(this.line())),
          this.top(at),
        );
        return false;
      case 0x94: // MEMOIZE
        this.memo.set(this.memo.size, this.top(at));
        return false;
      case 0x68: // BINGET 'h'
        s.push(this.memoGet(this.u8(), at));
        return false;
      case 0x6a: // LONG_BINGET 'j'
        s.push(this.memoGet(this.u32(), at));
        return false;
      case 0x67: // GET 'g'
        s.push(
          this.memoGet(
            this.parsed(at, () => parseMemoIndex(this.line())),
            at,
          ),
        );
        return false;

      // ---- globals, calls and object building
      case 0x63: {
        // GLOBAL 'c'
        const module = this.line();
        const name = this.line();
        s.push(this.resolve(module, name));
        return false;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = this.pop(at);
        const module = this.pop(at);
        if (typeof module !== 'string' || typeof name !== 'string') this.fail('STACK_GLOBAL: expected module and name strings', at);
        s.push(this.resolve(module, name));
        return false;
      }
      case 0x82: // EXT1
        s.push(new PickleGlobal('copyreg.extension', String(this.u8())));
        return false;
      case 0x83: // EXT2
        s.push(new PickleGlobal('copyreg.extension', String(this.view.getUint16(this.skip(2), true))));
        return false;
      case 0x84: // EXT4
        s.push(new PickleGlobal('copyreg.extension', String(this.view.getInt32(this.skip(4), true))));
        return false;
      case 0x52: {
        // REDUCE 'R'
        const args = this.pop(at);
        const callable = this.pop(at);
        s.push(this.call(callable, this.asArgs(args, 'REDUCE', at)));
        return false;
      }
      case 0x81: {
        // NEWOBJ
        const args = this.pop(at);
        const cls = this.pop(at);
        s.push(this.call(cls, this.asArgs(args, 'NEWOBJ', at)));
        return false;
      }
      case 0x92: {
        // NEWOBJ_EX
        const kwargs = this.pop(at);
        const args = this.pop(at);
        const cls = this.pop(at);
        s.push(this.call(cls, this.asArgs(args, 'NEWOBJ_EX', at), kwargs instanceof Map ? kwargs : undefined));
        return false;
      }
      case 0x69: {
        // INST 'i'
        const module = this.line();
        const name = this.line();
        s.push(this.call(this.resolve(module, name), this.popMark(at)));
        return false;
      }
      case 0x6f: {
        // OBJ 'o'
        const items = this.popMark(at);
        if (items.length === 0) this.fail('OBJ: expected a class after MARK, found nothing', at);
        s.push(this.call(items[0], items.slice(1)));
        return false;
      }
      case 0x62: {
        // BUILD 'b'
        const state = this.pop(at);
        this.build(this.top(at), state);
        return false;
      }
      case 0x51: // BINPERSID 'Q'
        s.push(this.persistent(this.pop(at), at));
        return false;
      case 0x50: // PERSID 'P'
        s.push(this.persistent(this.line(), at));
        return false;
      default:
        return this.fail(`unknown opcode 0x${op.toString(16).padStart(2, '0')}; not a pickle or corrupt data`, at);
    }
  }

  // ---- reading primitives

  private skip(n: number): number {
    if (this.pos + n > this.bytes.length) this.fail(`truncated: expected ${n} more bytes, found ${this.bytes.length - this.pos}`);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  private take(n: number): Uint8Array {
    const at = this.skip(n);
    return this.bytes.subarray(at, at + n);
  }

  private u8(): number {
    return this.bytes[this.skip(1)];
  }

  private u32(): number {
    return this.view.getUint32(this.skip(4), true);
  }

  private u64(): number {
    const at = this.skip(8);
    const v = this.view.getUint32(at, true) + this.view.getUint32(at + 4, true) * 2 ** 32;
    if (!Number.isSafeInteger(v)) this.fail(`length ${v} exceeds 2^53`, at);
    return v;
  }

  /** Reads up to (not including) the next newline, as latin-1 text. */
  private line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) this.fail('truncated: expected a newline-terminated argument');
    const text = latin1(this.bytes.subarray(this.pos, end));
    this.pos = end + 1;
    return text;
  }

  // ---- stack helpers

  private pop(at: number): unknown {
    const floor = this.marks.length > 0 ? this.marks[this.marks.length - 1] : 0;
    if (this.stack.length <= floor) this.fail('stack underflow', at);
    return this.stack.pop();
  }

  private popN(n: number, at: number): unknown[] {
    const floor = this.marks.length > 0 ? this.marks[this.marks.length - 1] : 0;
    if (this.stack.length - n < floor) this.fail('stack underflow', at);
    return this.stack.splice(this.stack.length - n, n);
  }

  private top(at: number): unknown {
    const floor = this.marks.length > 0 ? this.marks[this.marks.length - 1] : 0;
    if (this.stack.length <= floor) this.fail('stack underflow', at);
    return this.stack[this.stack.length - 1];
  }

  private popMark(at: number): unknown[] {
    const mark = this.marks.pop();
    if (mark === undefined) this.fail('expected a MARK on the stack, found none', at);
    return this.stack.splice(mark);
  }

  private memoGet(index: number, at: number): unknown {
    if (!this.memo.has(index)) this.fail(`memo key ${index} was never stored`, at);
    return this.memo.get(index);
  }

  // ---- semantics

  private resolve(module: string, name: string): unknown {
    const key = `${module}\n${name}`;
    if (this.globals.has(key)) return this.globals.get(key);
    let value = this.options.resolveGlobal?.(module, name);
    if (value === undefined) value = resolveBuiltinGlobal(module, name);
    if (value === undefined) value = new PickleGlobal(module, name);
    this.globals.set(key, value);
    return value;
  }

  private call(callable: unknown, args: unknown[], kwargs?: Map<unknown, unknown>): unknown {
    if (callable instanceof PickleCallable) {
      try {
        return callable.call(args, kwargs);
      } catch (err) {
        if (err instanceof CheckpointError) throw err;
        throw new CheckpointError(`${this.options.name}: pickle data: ${callable.toString()}: ${(err as Error).message}`, { cause: err });
      }
    }
    let obj: PickleObject;
    if (callable instanceof PickleGlobal || callable instanceof PickleObject) {
      obj = new PickleObject(callable.module, callable.name, args);
    } else {
      obj = new PickleObject('<unknown>', describe(callable), args);
    }
    if (kwargs !== undefined) obj.kwargs = kwargs;
    return obj;
  }

  private asArgs(args: unknown, op: string, at: number): unknown[] {
    if (Array.isArray(args)) return [...(args as unknown[])];
    if (args === null) return [];
    return this.fail(`${op}: expected an argument tuple, found ${describe(args)}`, at);
  }

  private build(target: unknown, state: unknown): void {
    if (target instanceof PickleObject) {
      target.state = state;
      return;
    }
    if (isPickleBuildable(target)) {
      const finished = target.setState(state);
      if (finished !== target) this.replace(target, finished);
      return;
    }
    if (typeof target === 'object' && target !== null) setPickleState(target, state);
  }

  /** Replaces a placeholder by its finished value on the stack and in the memo. */
  private replace(placeholder: unknown, finished: unknown): void {
    for (let i = 0; i < this.stack.length; i++) if (this.stack[i] === placeholder) this.stack[i] = finished;
    for (const [k, v] of this.memo) if (v === placeholder) this.memo.set(k, finished);
  }

  private setItems(target: unknown, items: unknown[], at: number): void {
    let map: Map<unknown, unknown>;
    if (target instanceof Map) map = target;
    else if (target instanceof PickleObject) map = target.dictItems ??= new Map();
    else return this.fail(`SETITEM(S): expected a dict, found ${describe(target)}`, at);
    for (let i = 0; i + 1 < items.length; i += 2) map.set(items[i], items[i + 1]);
  }

  private appendItems(target: unknown, items: unknown[], at: number): void {
    // element-wise, not push(...items): a crafted APPENDS may carry more items than a call can take
    if (Array.isArray(target) && !Object.isFrozen(target)) for (const v of items) target.push(v);
    else if (target instanceof PickleObject) for (const v of items) (target.listItems ??= []).push(v);
    else if (target instanceof Set) for (const v of items) target.add(v);
    else this.fail(`APPEND(S): expected a list, found ${describe(target)}`, at);
  }

  private persistent(pid: unknown, at: number): unknown {
    const load = this.options.persistentLoad;
    if (load === undefined) this.fail('persistent id found but no persistent_load handler was given', at);
    return load(pid);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'None';
  if (value instanceof PickleGlobal || value instanceof PickleCallable) return value.toString();
  if (value instanceof PickleObject) return `${value.qualifiedName} object`;
  if (Array.isArray(value)) return Object.isFrozen(value) ? 'tuple' : 'list';
  if (value instanceof Map) return 'dict';
  if (typeof value === 'object') return value.constructor?.name ?? 'object';
  return typeof value;
}
