import type { MessageHeader, SignatureReq } from '../../../src/mss/messages/types';

/** A header as an AP sends it; tests vary one thing at a time. */
export function apHeader(apTransId = 'A1001', instant = new Date('2026-11-22T10:00:00Z')): MessageHeader {
  return {
    majorVersion: 1,
    minorVersion: 1,
    apInfo: { apId: 'http://ap.example/ministry', apTransId, apPwd: 'secret', instant },
    msspInfo: { msspId: { uri: 'http://mssp.example' } },
  };
}

export function signatureReq(over: Partial<SignatureReq> = {}): SignatureReq {
  return {
    kind: 'MSS_SignatureReq',
    ...apHeader(),
    mobileUser: { msisdn: '+35840000001' },
    dataToBeSigned: { value: 'Sign the tax return 2026', mimeType: 'text/plain', encoding: 'UTF-8' },
    dataToBeDisplayed: { value: 'Tax return 2026', mimeType: 'text/plain', encoding: 'UTF-8' },
    signatureProfile: { mssUri: 'http://mssp.example/profiles/sign' },
    additionalServices: [{ mssUri: 'http://uri.etsi.org/TS102204/v1.1.2#validate' }],
    mssFormat: { mssUri: 'http://uri.etsi.org/TS102204/v1.1.2#PKCS7' },
    timeOut: 120,
    messagingMode: 'synch',
    ...over,
  };
}
