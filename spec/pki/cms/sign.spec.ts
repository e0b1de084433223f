import { createHash } from 'node:crypto';
import { ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CMS_OID, type CmsSigner, createSignedData, hsmSigner, parseCertificate, parseSignedData, verifySignedData } from '../../../src/pki';
import { compareDer, oid, utf8String } from '../../../src/pki/cms/der-writer';
import { DerReader, Tag, type Tlv, rawOf, valueOf } from '../../../src/pki/der/reader';
import { openTestToken, type TestToken } from '../../hsm/support';
import { type TokenChain, makeTokenChain } from '../support/token-pki';

/**
 * The bytes createSignedData writes, read by an independent ASN.1 library (@peculiar/asn1-cms) and by hand:
 * the signed attributes RFC 5652 and RFC 5035 call for, in DER order, and a structure that re-encodes to the
 * same bytes (one encoding only).
 */
let t: TestToken;
let chain: TokenChain;
let signer: CmsSigner;
const content = Buffer.from('Sign in to the tax office portal? Transaction 7F3A');

beforeAll(async () => {
  t = await openTestToken('cms-sign');
  chain = await makeTokenChain(t.hsm, { label: 'sign' });
  signer = hsmSigner(t.hsm, chain.leaf.pair.privateKey, { algorithm: 'ES256', certificate: chain.leaf.der, chain: [chain.issuing.der] });
});

afterAll(async () => {
  await t?.hsm.close();
});

it('an independent decoder reads the same SignedData, and re-encoding it gives the same bytes', async () => {
  const der = await createSignedData({ content, signer, signingTime: new Date(Date.UTC(2025, 2, 1, 10, 0, 1)) });
  const ci = AsnConvert.parse(der, ContentInfo);
  expect(ci.contentType).toBe(CMS_OID.signedData);
  const sd = AsnConvert.parse(ci.content, SignedData);
  expect(sd.version).toBe(1);
  expect(sd.encapContentInfo.eContentType).toBe(CMS_OID.data);
  expect(Buffer.from(sd.encapContentInfo.eContent?.single?.buffer ?? new ArrayBuffer(0)).equals(content)).toBe(true);
  expect(sd.certificates?.length).toBe(2);
  expect(sd.signerInfos).toHaveLength(1);
  const si = sd.signerInfos[0];
  expect(si?.digestAlgorithm.algorithm).toBe('2.16.840.1.101.3.4.2.1');
  expect(si?.signatureAlgorithm.algorithm).toBe('1.2.840.10045.4.3.2');
  expect(si?.signedAttrs?.map((a) => a.attrType).sort()).toEqual(
    [CMS_OID.contentType, CMS_OID.messageDigest, CMS_OID.signingTime, CMS_OID.signingCertificateV2].sort(),
  );
  expect(Buffer.from(AsnConvert.serialize(ci)).equals(der)).toBe(true);
});

it('signed attributes are a DER SET OF (sorted), with the values RFC 5652 §11 and RFC 5035 describe', async () => {
  const der = await createSignedData({ content, signer, extraSignedAttributes: [{ oid: '1.3.6.1.4.1.55555.9', values: [utf8String('mobile-id 42')] }] });
  const si = parseSignedData(der).signerInfos[0];
  const attrs = si?.signedAttrs;
  expect(attrs).toBeDefined();
  const r = DerReader.inside(DerReader.single(attrs?.der as Uint8Array, 'attrs'), 'attrs');
  const list: Uint8Array[] = [];
  while (!r.atEnd()) list.push(rawOf(r.next()));
  expect(list).toHaveLength(5);
  for (let i = 1; i < list.length; i++) expect(compareDer(list[i - 1] as Uint8Array, list[i] as Uint8Array)).toBeLessThan(0);

  const byOid = new Map(attrs?.attributes.map((a) => [a.oid, a.values]));
  const only = (type: string): Tlv => {
    const values = byOid.get(type);
    if (values?.length !== 1) throw new Error(`attribute ${type} should have one value`);
    return values[0] as Tlv;
  };
  expect(Buffer.from(rawOf(only(CMS_OID.contentType))).equals(oid(CMS_OID.data))).toBe(true);
  expect(Buffer.from(valueOf(only(CMS_OID.messageDigest))).equals(createHash('sha256').update(content).digest())).toBe(true);

  // SigningCertificateV2 { certs { ESSCertIDv2 { certHash = SHA-256(cert) (hashAlgorithm left to its DEFAULT), issuerSerial } } }
  const certs = DerReader.inside(only(CMS_OID.signingCertificateV2), 'ess').expect(Tag.SEQUENCE, 'certs');
  const id = DerReader.inside(DerReader.inside(certs, 'certs').expect(Tag.SEQUENCE, 'id'), 'id');
  expect(id.peekTag()).toBe(Tag.OCTET_STRING);
  expect(Buffer.from(valueOf(id.next())).equals(createHash('sha256').update(chain.leaf.der).digest())).toBe(true);
  const issuerSerial = DerReader.inside(id.expect(Tag.SEQUENCE, 'issuerSerial'), 'is');
  const names = DerReader.inside(issuerSerial.expect(Tag.SEQUENCE, 'names'), 'names');
  const dn = DerReader.inside(names.expect(0xa4, 'directoryName'), 'dn').expect(Tag.SEQUENCE, 'Name');
  const leaf = parseCertificate(chain.leaf.der);
  expect(Buffer.from(rawOf(dn)).equals(Buffer.from(leaf.issuer.der))).toBe(true);
  expect(Buffer.from(valueOf(issuerSerial.expect(Tag.INTEGER, 'serial'))).equals(Buffer.from(leaf.serialNumber))).toBe(true);
});

it('detached: no eContent; a key identifier makes SignerInfo and SignedData version 3', async () => {
  const der = await createSignedData({ content, signer, detached: true, signerIdentifier: 'subjectKeyIdentifier', certificates: 'signer', signingTime: null });
  const sd = parseSignedData(der);
  expect(sd.content).toBeUndefined();
  expect(sd.version).toBe(3);
  expect(sd.signerInfos[0]).toMatchObject({ version: 3, sid: { kind: 'subjectKeyIdentifier' } });
  expect(sd.certificates).toHaveLength(1);
  expect(sd.signerInfos[0]?.signedAttrs?.attributes.map((a) => a.oid)).not.toContain(CMS_OID.signingTime);
  const r = await verifySignedData(der, { detachedContent: content });
  expect(r).toMatchObject({ valid: true, signingTime: undefined });
});

it('the narrow signer interface: any key holder that returns a DER signature signs the same way', async () => {
  const calls: number[] = [];
  const counting: CmsSigner = { ...signer, sign: async (data) => (calls.push(data.length), signer.sign(data)) };
  const der = await createSignedData({ content, signer: counting });
  expect(calls).toHaveLength(1);
  expect(await verifySignedData(der)).toMatchObject({ valid: true });
});
