import { SoapProtocolFault, readSoapRequest } from '../../../src/api/soap/envelope';
import { XmlRejectedError, parseXml } from '../../../src/api/soap/safe-xml';
import { soapEnvelope } from '../../../src/api/soap/serialize';
import { MssFault } from '../../../src/mss/status';
import { signatureReq } from './samples';

const good = soapEnvelope('MSS_Signature', signatureReq());
const afterDecl = (prolog: string): string => good.replace('<?xml version="1.0" encoding="UTF-8"?>', `<?xml version="1.0" encoding="UTF-8"?>${prolog}`);

function rejection(input: string | Buffer): string {
  try {
    parseXml(input);
  } catch (err) {
    if (err instanceof XmlRejectedError) return err.reason;
    throw err;
  }
  throw new Error('expected the document to be refused');
}

function faultCode(input: string | Buffer): number | string {
  try {
    readSoapRequest(input);
  } catch (err) {
    if (err instanceof MssFault) return err.code;
    if (err instanceof SoapProtocolFault) return err.code;
    throw err;
  }
  throw new Error('expected a fault');
}

describe('the XML reader refuses what could hurt us, with a typed reason', () => {
  it('a DOCTYPE with an internal entity (billion laughs) is refused before any expansion', () => {
    const lol = '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>';
    expect(rejection(afterDecl(lol).replace('+35840000001', '&lol2;'))).toBe('doctype');
  });

  it('an external entity (XXE) is refused and the file is never read', () => {
    const xxe = '<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>';
    const input = afterDecl(xxe).replace('+35840000001', '&xxe;');
    expect(rejection(input)).toBe('doctype');
    expect(faultCode(input)).toBe(101);
  });

  it('a reference to an undeclared entity is malformed, not resolved', () => {
    expect(rejection(good.replace('+35840000001', '&xxe;'))).toBe('malformed');
  });

  it('an external DTD (no internal subset) is refused too', () => {
    expect(rejection(afterDecl('<!DOCTYPE Envelope SYSTEM "http://203.0.113.1/x.dtd">'))).toBe('doctype');
  });

  it('processing instructions are refused (SOAP 1.2 forbids them)', () => {
    expect(rejection(afterDecl('<?xml-stylesheet href="x"?>'))).toBe('processing-instruction');
  });

  it('a 10 MB body is refused by size, answered 101', () => {
    const big = Buffer.from(good.replace('Sign the tax return 2026', 'x'.repeat(10 * 1024 * 1024)));
    expect(rejection(big)).toBe('too-large');
    expect(faultCode(big)).toBe(101);
  });

  it('deep nesting is refused at the depth limit, without recursion', () => {
    const deep = '<a>'.repeat(100_000) + '</a>'.repeat(100_000);
    expect(rejection(deep)).toBe('too-deep');
  });

  it('too many elements are refused', () => {
    expect(rejection(`<a>${'<b/>'.repeat(20_000)}</a>`)).toBe('too-many-elements');
  });

  it('a declared encoding other than UTF-8 is refused', () => {
    expect(rejection(good.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"'))).toBe('encoding');
  });

  it('malformed XML is malformed', () => {
    expect(rejection(good.slice(0, good.length - 20))).toBe('malformed');
    expect(rejection('')).toBe('malformed');
    expect(rejection('<a><b></a></b>')).toBe('malformed');
  });
});

describe('SOAP envelope checks', () => {
  it('a SOAP 1.1 envelope is env:VersionMismatch', () => {
    expect(faultCode(good.replace('http://www.w3.org/2003/05/soap-envelope', 'http://schemas.xmlsoap.org/soap/envelope/'))).toBe('VersionMismatch');
  });

  it('an MSS message of another namespace (version) is 101', () => {
    expect(faultCode(good.replace('http://uri.etsi.org/TS102204/v1.1.2#', 'http://uri.etsi.org/TS102204/v1.1.1#'))).toBe(101);
  });

  it('a document that is not an envelope is 101', () => {
    expect(faultCode('<hello/>')).toBe(101);
  });

  it('a header block marked mustUnderstand is env:MustUnderstand', () => {
    const withHeader = good.replace('<env:Body>', '<env:Header><x:Sec xmlns:x="urn:x" env:mustUnderstand="true"/></env:Header><env:Body>');
    expect(faultCode(withHeader)).toBe('MustUnderstand');
  });

  it('an unknown operation is 101 and an empty body 102', () => {
    expect(faultCode(good.replace(/MSS_Signature(?!Req)/g, 'MSS_Teleport').replace(/MSS_SignatureReq/g, 'MSS_TeleportReq'))).toBe(101);
    expect(faultCode(good.replace(/<env:Body>.*<\/env:Body>/, '<env:Body/>'))).toBe(102);
  });

  it('the bare document layout (Body/MSS_SignatureReq) is read as well as the rpc wrapper', () => {
    const bare = good.replace('<MSS_Signature xmlns="">', '').replace('</MSS_Signature>', '');
    expect(readSoapRequest(bare).kind).toBe('MSS_SignatureReq');
  });
});
