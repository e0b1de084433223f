import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { MssFault } from '../../src/mss/status';
import { soapFault } from '../../src/api/errors/soap-fault';
import { problemJson } from '../../src/api/errors/problem';

const SOAP_XSD = resolve(__dirname, '../../../shared/etsi/laverca-xsd/soap-envelope.xsd');

function xmllintValid(xml: string): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(process.env.MSSP_TEST_SCRATCH ?? tmpdir(), 'fault-'));
  const file = join(dir, 'fault.xml');
  writeFileSync(file, xml);
  try {
    const output = execFileSync('xmllint', ['--noout', '--schema', SOAP_XSD, file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return { ok: true, output };
  } catch (err) {
    return { ok: false, output: String((err as { stderr?: string }).stderr ?? err) };
  }
}

describe('SOAP faults', () => {
  it('a sender fault carries env:Sender, the subcode mss:_101 and validates against the SOAP 1.2 schema', () => {
    const fault = soapFault(new MssFault(101, 'AP_TransID <already> used'), 1013);
    expect(fault.httpStatus).toBe(500);
    expect(fault.body).toContain('<env:Value>env:Sender</env:Value>');
    expect(fault.body).toContain('<env:Value>mss:_101</env:Value>');
    expect(fault.body).toContain('<env:Value>fi:_1013</env:Value>');
    expect(fault.body).toContain('WRONG_PARAM: AP_TransID &lt;already&gt; used');
    const lint = xmllintValid(fault.body);
    expect(lint.output).toBe('');
    expect(lint.ok).toBe(true);
  });

  it('a receiver fault carries env:Receiver', () => {
    const fault = soapFault(new MssFault(401));
    expect(fault.body).toContain('<env:Value>env:Receiver</env:Value>');
    expect(fault.body).toContain('<env:Value>mss:_401</env:Value>');
    expect(xmllintValid(fault.body).ok).toBe(true);
  });

  it('an unexpected error becomes 900 INTERNAL_ERROR and shows nothing of itself', () => {
    const fault = soapFault(new Error('connection to 10.0.0.5 refused, password=hunter2'));
    expect(fault.code).toBe(900);
    expect(fault.unexpected).toBe(true);
    expect(fault.body).not.toMatch(/hunter2|10\.0\.0\.5/);
    expect(fault.body).toContain('mss:_900');
  });

  it('a detail not meant for the AP stays out of the fault', () => {
    const fault = soapFault(new MssFault(104, 'AP acme failed IP allow-list from 192.0.2.7', false));
    expect(fault.body).not.toContain('192.0.2.7');
    expect(fault.body).toContain('>UNAUTHORIZED_ACCESS<');
  });
});

describe('problem+json', () => {
  it('maps the same codes to RFC 9457 problems with the TS 102 204 code kept', () => {
    const p = problemJson(new MssFault(105, 'no such MSISDN'));
    expect(p.httpStatus).toBe(404);
    expect(p.body).toEqual({
      type: 'urn:mssp:problem:unknown_client',
      title: 'The user the request concerns is unknown.',
      status: 404,
      detail: 'no such MSISDN',
      statusCode: 105,
      statusName: 'UNKNOWN_CLIENT',
    });
    const internal = problemJson(new TypeError('x is undefined'));
    expect(internal.body).toMatchObject({ status: 500, statusCode: 900 });
    expect(JSON.stringify(internal.body)).not.toContain('undefined');
  });
});
