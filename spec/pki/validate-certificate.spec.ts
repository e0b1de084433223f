import {
  type Certificate,
  type OcspCheck,
  type PathValidationOptions,
  parseCertificate,
  trustAnchorFromCertificate,
  validateCertificate,
  validateCertificateDer,
  validatePath,
} from '../../src/pki';
import { MAX_POLICY_NODES, PolicyTree, PolicyTreeTooLarge } from '../../src/pki/path/policy-tree';
import { CN, O, name, oid, printable, seq, utf8 } from './support/der';
import { basicConstraintsCa, buildCertificate, ecKey, keyUsage } from './support/cert-builder';

/** A two-level ECDSA P-256 hierarchy: root (self-signed) → CA → end entity. */
const rootKey = ecKey();
const caKey = ecKey();
const eeKey = ecKey('secp384r1');
const rootName = name([[O, printable('Example')]], [[CN, printable('Root')]]);
const caName = name([[O, printable('Example')]], [[CN, printable('Issuing CA')]]);
const eeName = name([[O, printable('Example')]], [[CN, utf8('Citizen 1')]]);
const caExtensions = [basicConstraintsCa(), keyUsage(5, 6)];

const rootDer = buildCertificate({ serial: 1, issuer: rootName, subject: rootName, subjectKey: rootKey, issuerKey: rootKey, extensions: caExtensions });
const caDer = buildCertificate({ serial: 2, issuer: rootName, subject: caName, subjectKey: caKey, issuerKey: rootKey, extensions: caExtensions });
const eeDer = (over: Partial<Parameters<typeof buildCertificate>[0]> = {}): Uint8Array =>
  buildCertificate({ serial: 3, issuer: caName, subject: eeName, subjectKey: eeKey, issuerKey: caKey, extensions: [keyUsage(0, 1)], ...over });

const root = parseCertificate(rootDer);
const ca = parseCertificate(caDer);
const anchor = trustAnchorFromCertificate(root);
const at = new Date(Date.UTC(2026, 0, 1));
const noRevocation: PathValidationOptions = { time: at, revocation: { mode: 'off' } };

async function validate(target: Certificate, options: PathValidationOptions = noRevocation) {
  return validateCertificate({ target, intermediates: [ca], trustAnchors: [anchor], ...options });
}

describe('an ECDSA hierarchy built here', () => {
  test('validates, and returns the path from the anchor down', async () => {
    const result = await validate(parseCertificate(eeDer()));
    expect(result.valid).toBe(true);
    if (result.valid) {
      expect(result.path.map((c) => c.serialNumber[0])).toEqual([2, 3]);
      expect(result.userConstrainedPolicySet).toEqual([]);
    }
  });

  test('a signature with a BER (long-form) length is rejected by the signature rule', async () => {
    const ber = (der: Uint8Array): Uint8Array => Uint8Array.from([0x30, 0x81, der[1] as number, ...der.subarray(2)]);
    const result = await validate(parseCertificate(eeDer({ mangleSignature: ber })));
    expect(result).toMatchObject({ valid: false, rule: 'signature', certIndex: 2 });
    expect(result.valid ? '' : result.message).toContain('malformed-signature');
  });

  test('a signature followed by an extra byte inside the BIT STRING is rejected', async () => {
    const result = await validate(parseCertificate(eeDer({ mangleSignature: (d) => Uint8Array.from([...d, 0]) })));
    expect(result).toMatchObject({ valid: false, rule: 'signature', certIndex: 2 });
  });

  test('an inner signature algorithm that differs from the outer one is rejected (RFC 5280 §4.1.1.2)', async () => {
    const result = await validate(parseCertificate(eeDer({ tbsAlgorithm: seq(oid('1.2.840.10045.4.3.3')) })));
    expect(result).toMatchObject({ valid: false, rule: 'signature', certIndex: 2 });
  });

  test('an unknown critical extension is named', async () => {
    const result = await validate(parseCertificate(eeDer({ extensions: [{ oid: '1.3.6.1.4.1.99999.1', critical: true, value: seq() }] })));
    expect(result).toMatchObject({ valid: false, rule: 'unknown-critical-extension', certIndex: 2 });
    expect(result.valid ? '' : result.message).toContain('1.3.6.1.4.1.99999.1');
  });

  test('the same unknown extension, not critical, is ignored', async () => {
    const result = await validate(parseCertificate(eeDer({ extensions: [{ oid: '1.3.6.1.4.1.99999.1', value: seq() }] })));
    expect(result.valid).toBe(true);
  });

  test('an end entity used as a CA is refused by basicConstraints', async () => {
    const ee = parseCertificate(eeDer());
    const below = parseCertificate(buildCertificate({ serial: 4, issuer: eeName, subject: name([[CN, printable('x')]]), subjectKey: ecKey(), issuerKey: eeKey }));
    const result = await validateCertificate({ target: below, intermediates: [ca, ee], trustAnchors: [anchor], ...noRevocation });
    expect(result).toMatchObject({ valid: false, rule: 'basic-constraints', certIndex: 2 });
  });

  test('without its intermediate the path cannot be built', async () => {
    const result = await validateCertificate({ target: parseCertificate(eeDer()), trustAnchors: [anchor], ...noRevocation });
    expect(result).toMatchObject({ valid: false, rule: 'no-path', certIndex: 1 });
  });

  test('outside the validity period', async () => {
    const result = await validate(parseCertificate(eeDer()), { ...noRevocation, time: new Date(Date.UTC(2041, 0, 1)) });
    expect(result).toMatchObject({ valid: false, rule: 'validity', certIndex: 1 });
  });
});

describe('revocation through the OCSP hook', () => {
  const ee = parseCertificate(eeDer());
  const withOcsp = (ocsp: OcspCheck): PathValidationOptions => ({ time: at, revocation: { mode: 'required', ocsp } });

  test('good for every certificate: valid, and the hook sees each certificate with its issuer', async () => {
    const asked: string[] = [];
    const result = await validate(ee, withOcsp(async (cert, issuer) => {
      asked.push(`${cert.serialNumber[0]} by ${issuer.certificate?.serialNumber[0]}`);
      return 'good';
    }));
    expect(result.valid).toBe(true);
    expect(asked).toEqual(['2 by 1', '3 by 2']);
  });

  test('revoked', async () => {
    const result = await validate(ee, withOcsp(async (cert) => (cert.serialNumber[0] === 3 ? 'revoked' : 'good')));
    expect(result).toMatchObject({ valid: false, rule: 'revoked', certIndex: 2 });
  });

  test('unknown, with no CRL to fall back on', async () => {
    const result = await validate(ee, withOcsp(async () => 'unknown'));
    expect(result).toMatchObject({ valid: false, rule: 'revocation-unknown', certIndex: 1 });
  });

  test('a hook that throws counts as unknown', async () => {
    const result = await validate(ee, withOcsp(async () => {
      throw new Error('responder down');
    }));
    expect(result).toMatchObject({ valid: false, rule: 'revocation-unknown' });
    expect(result.valid ? '' : result.message).toContain('responder down');
  });

  test('required revocation without any source is crl-unavailable', async () => {
    const result = await validate(ee, { time: at, revocation: { mode: 'required' } });
    expect(result).toMatchObject({ valid: false, rule: 'crl-unavailable', certIndex: 1 });
  });
});

describe('entry points', () => {
  test('validatePath on an explicit path', async () => {
    const result = await validatePath(anchor, [ca, parseCertificate(eeDer())], noRevocation);
    expect(result.valid).toBe(true);
  });

  test('validatePath reports misordered paths as name chaining', async () => {
    const result = await validatePath(anchor, [parseCertificate(eeDer()), ca], noRevocation);
    expect(result).toMatchObject({ valid: false, rule: 'name-chaining', certIndex: 1 });
  });

  test('validateCertificateDer turns unparseable input into a malformed result', async () => {
    const result = await validateCertificateDer({ target: Uint8Array.from([0x30, 0x03, 0x02, 0x01]), trustAnchors: [rootDer], time: at, revocation: { mode: 'off' } });
    expect(result).toMatchObject({ valid: false, rule: 'malformed' });
  });

  test('validateCertificateDer on good DER', async () => {
    const result = await validateCertificateDer({ target: eeDer(), intermediates: [caDer], trustAnchors: [rootDer], time: at, revocation: { mode: 'off' } });
    expect(result.valid).toBe(true);
  });
});

describe('valid_policy_tree size cap', () => {
  test(`growing past ${MAX_POLICY_NODES} nodes throws PolicyTreeTooLarge, which validation reports under the policy rule`, () => {
    const tree = new PolicyTree();
    const rootNode = tree.nodesAt(0)[0];
    expect(rootNode).toBeDefined();
    expect(() => {
      for (let k = 0; k < MAX_POLICY_NODES; k++) tree.addChild(rootNode as NonNullable<typeof rootNode>, `1.2.${k}`, undefined, new Set());
    }).toThrow(PolicyTreeTooLarge);
  });
});
