/**
 * A parser for the header of .npy files: a Python dict literal such as
 * `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`. Only the
 * literal syntax NumPy writes is accepted (strings, integers, True/False/None,
 * tuples, lists, dicts); nothing is evaluated.
 */

/** A Python literal value as it appears in an .npy header. */
export type PyLiteral = string | number | boolean | null | PyLiteral[] | { [key: string]: PyLiteral };

/**
 * Parses a Python literal. Throws an Error with the position and the
 * unexpected text on malformed input.
 */
export function parsePythonLiteral(text: string): PyLiteral {
  let pos = 0;
  const fail: (what: string) => never = (what) => {
    throw new Error(`expected ${what} at offset ${pos}, found ${JSON.stringify(text.slice(pos, pos + 12) || 'end of header')}`);
  };
  const skip = (): void => {
    while (pos < text.length && /\s/.test(text[pos])) pos++;
  };
  const value = (): PyLiteral => {
    skip();
    const c = text[pos];
    if (c === '{') return container('}', true) as { [key: string]: PyLiteral };
    if (c === '(') return container(')', false) as PyLiteral[];
    if (c === '[') return container(']', false) as PyLiteral[];
    if (c === "'" || c === '"') return str();
    const word = /^(True|False|None|-?\d+L?)/.exec(text.slice(pos));
    if (word === null) return fail('a Python literal');
    pos += word[0].length;
    if (word[0] === 'True') return true;
    if (word[0] === 'False') return false;
    if (word[0] === 'None') return null;
    const n = Number(word[0].replace(/L$/, ''));
    if (!Number.isSafeInteger(n)) return fail('an integer below 2^53');
    return n;
  };
  const str = (): string => {
    const quote = text[pos++];
    let out = '';
    while (pos < text.length && text[pos] !== quote) {
      if (text[pos] === '\\') {
        const next = text[pos + 1];
        const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };
        if (next !== undefined && next in simple) {
          out += simple[next];
          pos += 2;
          continue;
        }
        fail('a simple string escape');
      }
      out += text[pos++];
    }
    if (pos >= text.length) fail(`a closing ${quote}`);
    pos++;
    return out;
  };
  const container = (close: string, isDict: boolean): PyLiteral => {
    pos++;
    const list: PyLiteral[] = [];
    const dict: { [key: string]: PyLiteral } = Object.create(null) as { [key: string]: PyLiteral };
    for (;;) {
      skip();
      if (text[pos] === close) {
        pos++;
        return isDict ? dict : list;
      }
      if (isDict) {
        const key = value();
        if (typeof key !== 'string') fail('a string dict key');
        skip();
        if (text[pos] !== ':') fail("':'");
        pos++;
        dict[key as string] = value();
      } else {
        list.push(value());
      }
      skip();
      if (text[pos] === ',') pos++;
      else if (text[pos] !== close) fail(`',' or '${close}'`);
    }
  };
  const result = value();
  skip();
  if (pos !== text.length) fail('end of header');
  return result;
}
