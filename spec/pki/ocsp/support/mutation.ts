import fc from 'fast-check';

/** Byte mutations for the parser properties: set, insert, delete, truncate. */
export type Mutation =
  | { readonly kind: 'set'; readonly at: number; readonly value: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: readonly number[] }
  | { readonly kind: 'delete'; readonly at: number; readonly count: number }
  | { readonly kind: 'truncate'; readonly at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
);

/** One to four mutations: few enough that many inputs stay close to valid and reach deep into the parser. */
export const mutations: fc.Arbitrary<Mutation[]> = fc.array(mutation, { minLength: 1, maxLength: 4 });

export function mutate(seed: Uint8Array, list: readonly Mutation[]): Uint8Array {
  let bytes = Array.from(seed);
  for (const m of list) {
    const at = bytes.length === 0 ? 0 : m.at % bytes.length;
    if (m.kind === 'set') bytes[at] = m.value;
    else if (m.kind === 'insert') bytes.splice(at, 0, ...m.bytes);
    else if (m.kind === 'delete') bytes.splice(at, m.count);
    else bytes = bytes.slice(0, at);
  }
  return Uint8Array.from(bytes);
}
