/**
 * Decoding of the scalar arguments of pickle opcodes: LONG1/LONG4 payloads,
 * the text arguments of the protocol-0 opcodes (INT, LONG, FLOAT, STRING,
 * UNICODE, GET/PUT) and Python 2 strings. Pure functions; they throw plain
 * Errors that the unpickler turns into positioned CheckpointErrors.
 */

/** Decodes a LONG1/LONG4 payload: little-endian two's complement. */
export function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
  return narrow(v);
}

/** Parses the text argument of INT (where `00`/`01` mean False/True) or LONG. */
export function parseTextInt(text: string, boolCodes: boolean): number | bigint | boolean {
  if (boolCodes && text === '00') return false;
  if (boolCodes && text === '01') return true;
  if (!/^[+-]?\d+$/.test(text.trim())) throw new Error(`expected a decimal integer, found ${JSON.stringify(text)}`);
  return narrow(BigInt(text.trim().replace(/^\+/, '')));
}

/** Parses the text argument of FLOAT (Python repr, including inf and nan). */
export function parseTextFloat(text: string): number {
  const t = text.trim().toLowerCase();
  if (t === 'inf' || t === '+inf') return Infinity;
  if (t === '-inf') return -Infinity;
  if (t === 'nan' || t === '-nan' || t === '+nan') return NaN;
  const v = Number(t);
  if (t === '' || Number.isNaN(v)) throw new Error(`expected a float, found ${JSON.stringify(text)}`);
  return v;
}

/** Parses the text argument of GET/PUT. */
export function parseMemoIndex(text: string): number {
  const v = Number(text.trim());
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`expected a memo index, found ${JSON.stringify(text)}`);
  return v;
}

/** Decodes the text argument of STRING, a Python 2 repr literal ('...' or "..."), into its bytes. */
export function parseQuotedString(text: string): Uint8Array {
  const t = text.trimEnd();
  const q = t[0];
  if (t.length < 2 || (q !== "'" && q !== '"') || t[t.length - 1] !== q) {
    throw new Error(`STRING: expected a quoted string, found ${JSON.stringify(text)}`);
  }
  const body = t.slice(1, -1);
  const out: number[] = [];
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, '\\': 92, "'": 39, '"': 34, a: 7, b: 8, f: 12, v: 11, '\n': -1 };
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      out.push(c.charCodeAt(0) & 0xff);
      continue;
    }
    const e = body[++i];
    if (e === undefined) throw new Error('STRING: dangling backslash');
    if (Object.prototype.hasOwnProperty.call(simple, e)) {
      if (simple[e] >= 0) out.push(simple[e]);
    } else if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(body.slice(i + 1, i + 3))) {
      out.push(parseInt(body.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (/[0-7]/.test(e)) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i)) as RegExpExecArray;
      out.push(parseInt(m[0], 8) & 0xff);
      i += m[0].length - 1;
    } else {
      out.push(92, e.charCodeAt(0) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

/** bigint → number when it fits exactly. */
export function narrow(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

const utf8Decoder = new TextDecoder('utf-8');
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8 (invalid sequences become U+FFFD). */
export function utf8(b: Uint8Array): string {
  return utf8Decoder.decode(b);
}

/** Decodes bytes as latin-1 (one char per byte). */
export function latin1(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode(...b.subarray(i, i + 8192));
  return s;
}

/**
 * Python 2 `str` values are bytes; like torch.load (encoding='utf-8') they
 * become strings when they are valid UTF-8, and stay bytes otherwise.
 */
export function decodePy2String(b: Uint8Array): string | Uint8Array {
  try {
    return strictUtf8.decode(b);
  } catch {
    return b.slice();
  }
}

/** Decodes Python's raw-unicode-escape: latin-1 text with \uXXXX and \UXXXXXXXX escapes. */
export function decodeRawUnicodeEscape(text: string): string {
  return text.replace(/\\u([0-9a-fA-F]{4})|\\U([0-9a-fA-F]{8})/g, (_m, u4: string | undefined, u8: string | undefined) => String.fromCodePoint(parseInt((u4 ?? u8) as string, 16)));
}
