import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  AuditError,
  canonicalJson,
  checkDetails,
  checkpointImprint,
  encodeEntry,
  entryLeafHash,
  fieldRule,
  formatNoteBody,
  GENESIS_HASH,
  isCanonicalJson,
  maskNationalId,
  maskPan,
  parseNoteBody,
  prepareEntry,
  sealEntry,
  type EntryContent,
  type NewAuditEntry,
} from '../../src/audit';
import { nodeHash } from '../../src/audit/merkle';

interface EntryVector {
  seq: number; time: string; actorType: string; actorId: string; action: string; subject: string; outcome: string;
  evidenceHash: string | null; details: string; prevHash: string; entryBytes: string; leafHash: string;
}
const vectors = JSON.parse(readFileSync(resolve(__dirname, '../../fixtures/audit/entry-vectors.json'), 'utf8')) as {
  entries: EntryVector[]; root: string; checkpointBody: string; checkpointImprint: string;
};

function content(v: EntryVector): EntryContent {
  return {
    seq: v.seq, time: new Date(v.time), actorType: v.actorType, actorId: v.actorId, action: v.action, subject: v.subject, outcome: v.outcome,
    evidenceHash: v.evidenceHash === null ? null : Buffer.from(v.evidenceHash, 'hex'), details: v.details, prevHash: Buffer.from(v.prevHash, 'hex'),
  };
}

function auditCode(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof AuditError ? err.code : `not an AuditError: ${String(err)}`;
  }
  return undefined;
}

describe('entry bytes (README "Entry bytes")', () => {
  it.each(vectors.entries)('entry $seq encodes to the bytes and leaf hash computed independently (Python json + hashlib)', (v) => {
    expect(encodeEntry(content(v)).toString('utf8')).toBe(v.entryBytes);
    expect(entryLeafHash(content(v)).toString('hex')).toBe(v.leafHash);
  });

  it('chains: each vector prev is the leaf hash of the one before, and the three make the recorded root', () => {
    const leaves = vectors.entries.map((v) => Buffer.from(v.leafHash, 'hex'));
    expect(vectors.entries[1]?.prevHash).toBe(vectors.entries[0]?.leafHash);
    expect(nodeHash(nodeHash(leaves[0] as Buffer, leaves[1] as Buffer), leaves[2] as Buffer).toString('hex')).toBe(vectors.root);
  });

  it('the member-by-member encoder equals canonicalJson of the whole object', () => {
    for (const v of vectors.entries) {
      const c = content(v);
      const object = {
        v: 1, seq: c.seq, time: v.time, actor: { type: c.actorType, id: c.actorId }, action: c.action, subject: c.subject, outcome: c.outcome,
        evidence: c.evidenceHash?.toString('base64') ?? null, details: JSON.parse(c.details) as unknown, prev: c.prevHash.toString('base64'),
      };
      expect(encodeEntry(c).toString('utf8')).toBe(canonicalJson(object));
    }
  });

  it('seals onto the head: seq, prev hash, and time that never goes backwards', () => {
    const prepared = prepareEntry({ actor: { type: 'system', id: 'platform' }, action: 'config.change', subject: 'config:audit', outcome: 'ok' });
    const first = sealEntry(prepared, { size: 0, lastLeafHash: GENESIS_HASH, lastTime: null }, new Date('2025-03-01T10:00:00.000Z'));
    expect(first.seq).toBe(0);
    expect(first.prevHash.equals(GENESIS_HASH)).toBe(true);
    const lagging = sealEntry(prepared, { size: 1, lastLeafHash: first.leafHash, lastTime: first.time }, new Date('2025-03-01T09:59:00.000Z'));
    expect(lagging.seq).toBe(1);
    expect(lagging.time.getTime()).toBe(first.time.getTime());
    expect(lagging.prevHash.equals(first.leafHash)).toBe(true);
  });
});

describe('canonical JSON (RFC 8785)', () => {
  it('sorts members by UTF-16 code units and writes numbers and strings as ECMAScript does', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], '\u20ac': 1, '\r': 2, '1': 3, é: 4 })).toBe('{"\\r":2,"1":3,"a":[true,null,"x"],"b":1,"é":4,"€":1}');
    expect(canonicalJson([1e21, 1e-7, -0, 0.1, 333333333.3333333])).toBe('[1e+21,1e-7,0,0.1,333333333.3333333]');
  });

  it('refuses what JSON cannot carry exactly', () => {
    expect(auditCode(() => canonicalJson({ a: Number.NaN }))).toBe('BAD_ENTRY');
    expect(auditCode(() => canonicalJson({ a: undefined }))).toBe('BAD_ENTRY');
    expect(auditCode(() => canonicalJson({ a: 1n }))).toBe('BAD_ENTRY');
    expect(auditCode(() => canonicalJson({ a: new Date() }))).toBe('BAD_ENTRY');
    expect(auditCode(() => canonicalJson({ a: '\ud800' }))).toBe('BAD_ENTRY');
    let deep: unknown = 1;
    for (let i = 0; i < 20; i++) deep = [deep];
    expect(auditCode(() => canonicalJson(deep))).toBe('BAD_ENTRY');
  });

  it('tells canonical text from text with the same meaning', () => {
    expect(isCanonicalJson('{"a":1,"b":2}')).toBe(true);
    expect(isCanonicalJson('{"b":2,"a":1}')).toBe(false);
    expect(isCanonicalJson('{"a": 1}')).toBe(false);
    expect(isCanonicalJson('{"a":1.0}')).toBe(false);
    expect(isCanonicalJson('not json')).toBe(false);
  });
});

describe('masking and refused fields', () => {
  const base: NewAuditEntry = { actor: { type: 'citizen', id: 'mid:7f3a' }, action: 'pin.failure', subject: 'mid:7f3a', outcome: 'failed' };

  it('masks national identifiers to the last four and card numbers to first six / last four', () => {
    expect(maskNationalId('010190-123A')).toBe('*******123A');
    expect(maskNationalId('12')).toBe('****');
    expect(maskPan('4111 1111 1111 1111')).toBe('411111******1111');
    expect(maskPan('378282246310005')).toBe('378282*****0005');
    expect(auditCode(() => maskPan('4111'))).toBe('BAD_ENTRY');
  });

  it.each(['pin', 'newPin', 'new_pin', 'PIN', 'simPinCode', 'pinBlock', 'puk', 'password', 'adminPassword', 'clientSecret', 'secretKey', 'otp', 'cvv2', 'privateKey'])(
    'refuses a details key named %s (SECRET_FIELD), even nested',
    (key) => {
      expect(auditCode(() => prepareEntry({ ...base, details: { [key]: 'x' } }))).toBe('SECRET_FIELD');
      expect(auditCode(() => prepareEntry({ ...base, details: { outer: [{ [key]: 'x' }] } }))).toBe('SECRET_FIELD');
    },
  );

  it.each(['pinTries', 'pinBlocked', 'pin_failures', 'shipping', 'mapping', 'spinner', 'options'])('accepts a key named %s (facts about a PIN, or unrelated)', (key) => {
    expect(fieldRule(key)).toBe('free');
    expect(() => prepareEntry({ ...base, details: { [key]: 1 } })).not.toThrow();
  });

  it('accepts masked card numbers and national identifiers and refuses clear ones (UNMASKED_VALUE)', () => {
    expect(() => checkDetails({ pan: maskPan('4111111111111111'), nationalId: maskNationalId('010190-123A'), cardNumber: null })).not.toThrow();
    expect(auditCode(() => prepareEntry({ ...base, details: { pan: '4111111111111111' } }))).toBe('UNMASKED_VALUE');
    expect(auditCode(() => prepareEntry({ ...base, details: { payer: { cardNumber: '4111-1111-1111-1111' } } }))).toBe('UNMASKED_VALUE');
    expect(auditCode(() => prepareEntry({ ...base, details: { nationalId: '010190-123A' } }))).toBe('UNMASKED_VALUE');
    expect(auditCode(() => prepareEntry({ ...base, details: { ssn: 123456789 } }))).toBe('UNMASKED_VALUE');
  });

  it('refuses malformed entries with BAD_ENTRY', () => {
    const bad: unknown[] = [
      { ...base, actor: { type: 'root', id: 'x' } },
      { ...base, actor: { type: 'ap', id: '' } },
      { ...base, action: 'Not An Action' },
      { ...base, outcome: '' },
      { ...base, subject: 'a\nb' },
      { ...base, subject: 'x'.repeat(513) },
      { ...base, evidenceHash: Buffer.alloc(20) },
      { ...base, details: [1, 2] },
      { ...base, details: { big: 'x'.repeat(20_000) } },
    ];
    for (const entry of bad) expect(auditCode(() => prepareEntry(entry as NewAuditEntry))).toBe('BAD_ENTRY');
  });
});

describe('checkpoint note body (README "Checkpoints")', () => {
  it('formats and parses the recorded vector, and the TSA imprint is SHA-256 of those bytes', () => {
    const parsed = parseNoteBody(vectors.checkpointBody);
    expect(parsed).toBeDefined();
    expect(parsed?.treeSize).toBe(3);
    expect(parsed?.rootHash.toString('hex')).toBe(vectors.root);
    expect(formatNoteBody(parsed as NonNullable<typeof parsed>)).toBe(vectors.checkpointBody);
    expect(checkpointImprint(vectors.checkpointBody).toString('hex')).toBe(vectors.checkpointImprint);
  });

  it('accepts no second spelling of a body', () => {
    const body = vectors.checkpointBody;
    for (const variant of [body.replace('\n3\n', '\n03\n'), body.replace('.000Z', 'Z'), body.trimEnd(), `${body}extra\n`, body.replace('previous 0', 'previous  0'), body.replace(/\n/g, '\r\n')]) {
      expect(parseNoteBody(variant)).toBeUndefined();
    }
  });
});
