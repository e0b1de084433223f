import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { HANDSET_OUTCOME_STATUS, isStatusCode, MssFault, STATUS_CODES, statusName, type StatusCode } from '../../src/mss/status';

const ficom = readFileSync(resolve(__dirname, '../../../shared/etsi/ficom/MSS_FiCom_Implementation_guideline_2.1.txt'), 'utf8');
const appendixC = ficom.slice(ficom.lastIndexOf('Appendix C: Status codes'), ficom.lastIndexOf('Example: SOAP FAULT (with specifier)'));
const receiverFaults = appendixC.indexOf('SOAP FAULT message status codes (env:Receiver)');
const statuses = appendixC.indexOf('MSS message status codes');

describe('TS 102 204 status codes', () => {
  const codes = Object.keys(STATUS_CODES).map(Number) as StatusCode[];

  it('has every code the issue names: 100, 101-109, 208, 209, 401-407, 422-425, 500-505, 900', () => {
    const wanted = [100, 101, 102, 103, 104, 105, 107, 108, 109, 208, 209, 401, 402, 403, 404, 405, 406, 407, 422, 423, 424, 425, 500, 501, 502, 503, 504, 505, 900];
    expect(codes.sort((a, b) => a - b)).toEqual(wanted);
    // 106 is not defined by TS 102 204 v1.1.2 nor by the FiCom guideline.
    expect(isStatusCode(106)).toBe(false);
  });

  it.each(codes)('code %i carries the name and the fault side given in FiCom Appendix C', (code) => {
    const { name, kind } = STATUS_CODES[code];
    // FiCom's columns break two names: "REVOKED_ CERTIFICATE", and "OUTSTANDING_TRANSACTIO" with its "N" a line below.
    const flat = appendixC.replace(/_\s+/g, '_');
    const printed = name === 'OUTSTANDING_TRANSACTION' ? 'OUTSTANDING_TRANSACTIO' : `${name}\\b`;
    expect(flat).toMatch(new RegExp(`\\n\\s*${code}\\s+${printed}`));
    const rawAt = appendixC.search(new RegExp(`\\n\\s*${code}\\s`));
    const side = rawAt > statuses ? 'status' : rawAt > receiverFaults ? 'receiver-fault' : 'sender-fault';
    expect(kind).toBe(side);
  });

  it('maps handset outcomes onto the codes the issue names', () => {
    expect(HANDSET_OUTCOME_STATUS).toEqual({
      'user-cancelled': 401, 'pin-blocked': 402, 'card-blocked': 403, 'no-key': 404, timeout: 208, 'bad-signature': 503,
    });
  });

  it('builds typed faults that narrow on their code', () => {
    const fault = new MssFault(101, 'AP_TransID already used');
    expect(fault.message).toBe('101 WRONG_PARAM: AP_TransID already used');
    expect(fault.statusName).toBe('WRONG_PARAM');
    expect(statusName(504)).toBe('OUTSTANDING_TRANSACTION');
  });
});
