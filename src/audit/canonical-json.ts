import { AuditError } from './errors';

/**
 * RFC 8785 (JSON Canonicalization Scheme) for the values an audit entry may carry. An entry is hashed, so the
 * same content must give the same bytes on every node and in every auditor's tool: object members sorted by
 * UTF-16 code units, no whitespace, strings and numbers as ECMAScript's JSON.stringify writes them (which is
 * what JCS prescribes).
 */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue;
}

const MAX_DEPTH = 16;
// A lone surrogate has no UTF-8 form, so two tools could hash it differently; JCS refuses it too.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const ANY_SURROGATE = /[\uD800-\uDFFF]/;
// The precise test only where a surrogate appears at all: the verifier runs this on every entry.
const hasLoneSurrogate = (s: string): boolean => ANY_SURROGATE.test(s) && LONE_SURROGATE.test(s);

function fail(path: string, why: string): never {
  throw new AuditError('BAD_ENTRY', `${path} ${why}`);
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

function write(value: unknown, path: string, depth: number): string {
  if (depth > MAX_DEPTH) fail(path, `nests deeper than ${MAX_DEPTH} levels`);
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) fail(path, 'is not a finite number');
      return JSON.stringify(value);
    case 'string':
      if (hasLoneSurrogate(value)) fail(path, 'holds a lone UTF-16 surrogate');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v, i) => write(v, `${path}[${i}]`, depth + 1)).join(',')}]`;
      if (!isPlainObject(value)) fail(path, 'is not a plain JSON object');
      const keys = Object.keys(value).sort();
      const members = keys.map((k) => {
        if (hasLoneSurrogate(k)) fail(path, 'has a key with a lone UTF-16 surrogate');
        return `${JSON.stringify(k)}:${write((value as Record<string, unknown>)[k], `${path}.${k}`, depth + 1)}`;
      });
      return `{${members.join(',')}}`;
    }
    default:
      return fail(path, `is a ${typeof value}, which JSON cannot hold`);
  }
}

/** The canonical JSON text of `value`; AuditError BAD_ENTRY for anything JSON cannot carry exactly. */
export function canonicalJson(value: unknown, path = 'value'): string {
  return write(value, path, 0);
}

/** True when `text` is JSON already in canonical form (what the verifier asks of stored details). */
export function isCanonicalJson(text: string): boolean {
  try {
    return canonicalJson(JSON.parse(text) as unknown) === text;
  } catch {
    return false;
  }
}
