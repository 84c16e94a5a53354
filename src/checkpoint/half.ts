/**
 * Bit-exact conversions between IEEE 754 binary16 (float16), bfloat16 and
 * JavaScript numbers. Decoding is exact: every float16 and bfloat16 value is
 * representable as a float32. Encoding rounds to nearest, ties to even, as
 * PyTorch and NumPy do.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

let float16Table: Float32Array | undefined;

/** Decodes one float16 bit pattern (0..65535) to its exact value. */
export function float16BitsToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** Decodes one bfloat16 bit pattern (0..65535) to its exact value. */
export function bfloat16BitsToNumber(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0];
}

/** Decodes an array of float16 bit patterns into a new Float32Array (exact). */
export function decodeFloat16Array(bits: Uint16Array): Float32Array {
  if (float16Table === undefined) {
    float16Table = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) float16Table[i] = float16BitsToNumber(i);
  }
  const table = float16Table;
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i]];
  return out;
}

/** Decodes an array of bfloat16 bit patterns into a new Float32Array (exact). */
export function decodeBFloat16Array(bits: Uint16Array): Float32Array {
  const out = new Float32Array(bits.length);
  const outBits = new Uint32Array(out.buffer);
  for (let i = 0; i < bits.length; i++) outBits[i] = bits[i] << 16;
  return out;
}

/**
 * Encodes a number as float16 bits: the value is first rounded to float32,
 * then to float16 with round-to-nearest-even; overflow gives ±Infinity,
 * NaN gives the canonical quiet NaN 0x7e00.
 */
export function numberToFloat16Bits(value: number): number {
  f32[0] = value;
  const u = u32[0];
  const sign = (u >>> 16) & 0x8000;
  const exp32 = (u >>> 23) & 0xff;
  const mant32 = u & 0x7fffff;
  if (exp32 === 0xff) return mant32 === 0 ? sign | 0x7c00 : sign | 0x7e00;
  const e = exp32 - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e >= 1) {
    let half = (e << 10) | (mant32 >> 13);
    const rest = mant32 & 0x1fff;
    if (rest > 0x1000 || (rest === 0x1000 && (half & 1) === 1)) half++;
    return sign | half; // a carry into the exponent is the correct rounding
  }
  if (e < -10) return sign;
  // Subnormal float16: value = m * 2^-24 with m = significand >> (14 - e).
  const significand = mant32 | 0x800000;
  const shift = 14 - e;
  let half = significand >>> shift;
  const rest = significand & ((1 << shift) - 1);
  const halfway = 1 << (shift - 1);
  if (rest > halfway || (rest === halfway && (half & 1) === 1)) half++;
  return sign | half;
}

/**
 * Encodes a number as bfloat16 bits: rounded to float32 first, then to
 * bfloat16 with round-to-nearest-even; NaN gives a quiet NaN.
 */
export function numberToBFloat16Bits(value: number): number {
  f32[0] = value;
  const u = u32[0];
  if ((u & 0x7f800000) === 0x7f800000 && (u & 0x7fffff) !== 0) return ((u >>> 16) & 0x8000) | 0x7fc0;
  const rounded = u + 0x7fff + ((u >>> 16) & 1);
  return (rounded >>> 16) & 0xffff;
}

/** Encodes a float array as float16 bit patterns (round to nearest even). */
export function encodeFloat16Array(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = numberToFloat16Bits(values[i]);
  return out;
}

/** Encodes a float array as bfloat16 bit patterns (round to nearest even). */
export function encodeBFloat16Array(values: ArrayLike<number>): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = numberToBFloat16Bits(values[i]);
  return out;
}
