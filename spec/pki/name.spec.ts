import { DerReader } from '../../src/pki/der/reader';
import { PkiParseError } from '../../src/pki/errors';
import { dnsWithin, emailWithin, ipWithin, uriHost, uriWithin } from '../../src/pki/path/name-constraints';
import { type Name, foldString, nameToString, nameWithinSubtree, namesMatch, parseNameTlv } from '../../src/pki/x509/name';
import { C, CN, O, OU, bmp, ia5, name, printable, tlv, unhex, utf8 } from './support/der';

function parse(der: Uint8Array): Name {
  return parseNameTlv(DerReader.single(der, 'name'), 'name');
}

const base = (cn: Uint8Array): Name => parse(name([[C, printable('US')]], [[O, printable('Test Certificates 2011')]], [[CN, cn]]));

describe('RFC 5280 §7.1 name comparison', () => {
  test('identical names match', () => {
    expect(namesMatch(base(printable('Good CA')), base(printable('Good CA')))).toBe(true);
  });

  test('case is ignored in string attributes (PKITS 4.3.5)', () => {
    expect(namesMatch(base(printable('Good CA')), base(printable('gOOD ca')))).toBe(true);
  });

  test('leading, trailing and repeated inner spaces are insignificant (PKITS 4.3.3, 4.3.4)', () => {
    expect(namesMatch(base(printable('Good CA')), base(printable('  Good    CA '))) ).toBe(true);
  });

  test('spaces are not ignored inside words', () => {
    expect(namesMatch(base(printable('Good CA')), base(printable('GoodCA')))).toBe(false);
  });

  test('PrintableString and UTF8String of the same text match (PKITS 4.3.10 rollover)', () => {
    expect(namesMatch(base(printable('Good CA')), base(utf8('Good CA')))).toBe(true);
  });

  test('BMPString compares by its text too', () => {
    expect(namesMatch(base(bmp('Good CA')), base(utf8('good ca')))).toBe(true);
  });

  test('non-ASCII UTF8String values fold case (PKITS 4.3.11)', () => {
    expect(namesMatch(base(utf8('ÉCOLE Zürich')), base(utf8('école zürich')))).toBe(true);
    expect(foldString('Straße')).toBe(foldString('STRASSE'));
  });

  test('different values do not match', () => {
    expect(namesMatch(base(printable('Good CA')), base(printable('Good CA 2')))).toBe(false);
  });

  test('RDN order matters (PKITS 4.3.2)', () => {
    const a = parse(name([[C, printable('US')]], [[OU, printable('One')]], [[OU, printable('Two')]]));
    const b = parse(name([[C, printable('US')]], [[OU, printable('Two')]], [[OU, printable('One')]]));
    expect(namesMatch(a, b)).toBe(false);
  });

  test('attribute order inside a multi-valued RDN does not matter', () => {
    const a = parse(name([[CN, printable('x')], [OU, printable('y')]]));
    const b = parse(name([[OU, printable('Y')], [CN, printable('X')]]));
    expect(namesMatch(a, b)).toBe(true);
  });

  test('a multi-valued RDN does not match a single-valued one', () => {
    const a = parse(name([[CN, printable('x')], [OU, printable('y')]]));
    const b = parse(name([[CN, printable('x')]]));
    expect(namesMatch(a, b)).toBe(false);
  });

  test('a different number of RDNs does not match', () => {
    expect(namesMatch(parse(name([[C, printable('US')]])), base(printable('x')))).toBe(false);
  });

  test('the same text under a different attribute type does not match', () => {
    expect(namesMatch(parse(name([[CN, printable('x')]])), parse(name([[OU, printable('x')]])))).toBe(false);
  });

  test('non-string values compare byte for byte', () => {
    const octets = (b: number): Uint8Array => tlv(0x04, [b]);
    expect(namesMatch(parse(name([[CN, octets(0x41)]])), parse(name([[CN, octets(0x41)]])))).toBe(true);
    expect(namesMatch(parse(name([[CN, octets(0x41)]])), parse(name([[CN, octets(0x61)]])))).toBe(false);
  });

  test('IA5String attributes (emailAddress, DC) compare case-insensitively', () => {
    const email = '1.2.840.113549.1.9.1';
    expect(namesMatch(parse(name([[email, ia5('A@Example.COM')]])), parse(name([[email, ia5('a@example.com')]])))).toBe(true);
  });

  test('directoryName subtrees are RDN prefixes', () => {
    const subtree = parse(name([[C, printable('US')]], [[O, printable('Test Certificates 2011')]]));
    expect(nameWithinSubtree(base(printable('anything')), subtree)).toBe(true);
    expect(nameWithinSubtree(subtree, base(printable('anything')))).toBe(false);
    expect(nameWithinSubtree(base(printable('x')), parse(name([[C, printable('CA')]])))).toBe(false);
  });

  test('an empty RDN is malformed', () => {
    expect(() => parse(unhex('30023100'))).toThrow(PkiParseError);
  });

  test('names print for people', () => {
    expect(nameToString(base(printable('Good CA')))).toBe('C=US, O=Test Certificates 2011, CN=Good CA');
  });
});

describe('name constraint matching by form (RFC 5280 §4.2.1.10)', () => {
  test('dNSName: zero or more labels added on the left, at a label boundary (PKITS 4.13.38)', () => {
    expect(dnsWithin('testcertificates.gov', 'testcertificates.gov')).toBe(true);
    expect(dnsWithin('www.TestCertificates.gov', 'testcertificates.gov')).toBe(true);
    expect(dnsWithin('mytestcertificates.gov', 'testcertificates.gov')).toBe(false);
    expect(dnsWithin('testcertificates.gov', '.testcertificates.gov')).toBe(false);
    expect(dnsWithin('a.testcertificates.gov', '.testcertificates.gov')).toBe(true);
    expect(dnsWithin('anything.example', '')).toBe(true);
  });

  test('rfc822Name: mailbox, host, or domain', () => {
    expect(emailWithin('Test@testcertificates.gov', 'Test@TestCertificates.gov')).toBe(true);
    expect(emailWithin('test@testcertificates.gov', 'Test@testcertificates.gov')).toBe(false);
    expect(emailWithin('x@testcertificates.gov', 'testcertificates.gov')).toBe(true);
    expect(emailWithin('x@mail.testcertificates.gov', 'testcertificates.gov')).toBe(false);
    expect(emailWithin('x@mail.testcertificates.gov', '.testcertificates.gov')).toBe(true);
    expect(emailWithin('x@testcertificates.gov', '.testcertificates.gov')).toBe(false);
    expect(emailWithin('no-at-sign', 'testcertificates.gov')).toBe(false);
  });

  test('uniformResourceIdentifier: the host part', () => {
    expect(uriHost('http://user@Host.Example:8080/path?q')).toBe('host.example');
    expect(uriHost('https://[2001:db8::1]:443/')).toBe('2001:db8::1');
    expect(uriHost('urn:isbn:0451450523')).toBeUndefined();
    expect(uriWithin('http://testcertificates.gov/index.html', 'testcertificates.gov')).toBe(true);
    expect(uriWithin('http://www.testcertificates.gov/', 'testcertificates.gov')).toBe(false);
    expect(uriWithin('http://www.testcertificates.gov/', '.testcertificates.gov')).toBe(true);
    expect(uriWithin('http://testcertificates.gov/', '.testcertificates.gov')).toBe(false);
    expect(uriWithin('urn:x:y', '.testcertificates.gov')).toBe(false);
  });

  test('iPAddress: address and mask of the same family', () => {
    const v4 = Uint8Array.from([192, 168, 1, 7]);
    expect(ipWithin(v4, Uint8Array.from([192, 168, 0, 0, 255, 255, 0, 0]))).toBe(true);
    expect(ipWithin(v4, Uint8Array.from([10, 0, 0, 0, 255, 0, 0, 0]))).toBe(false);
    expect(ipWithin(v4, new Uint8Array(32))).toBe(false);
  });
});
