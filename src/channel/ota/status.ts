/**
 * Response Status Codes of a Response Packet (PoR): ETSI TS 102 225 §5.4 (table "Response Status Codes"),
 * with '0B' and '0C' filled in by 3GPP TS 31.115 §7 for SMS and USSD. One typed table keyed by the wire code
 * (STYLE.md example 3); everything else (names, errors, logs) refers to it.
 *
 * `securedPor` is our SIM-side rule, not the spec's wording: a PoR is secured (ciphered / checksummed as the
 * command's SPI asks) only when the command itself passed its security checks. A PoR that answers a command
 * whose checksum failed, or that could not be deciphered or attributed, goes out unsecured: a SIM that signs
 * its refusals with the key it was just attacked with hands the attacker MAC values to brute-force (the 2013
 * "rooting SIM cards" DES attack); and for '06' TS 102 225 itself says the PoR is sent unciphered without RC/CC/DS.
 */

export type PorStatusCategory = 'ok' | 'security' | 'counter' | 'resource' | 'routing' | 'deferred';

interface PorStatusDefinition {
  readonly name: string;
  readonly category: PorStatusCategory;
  readonly meaning: string;
  /** Whether our SIM side secures a PoR carrying this status (see the module comment). */
  readonly securedPor: boolean;
  readonly source: string;
}

export const POR_STATUS = {
  0x00: { name: 'por-ok', category: 'ok', securedPor: true, meaning: 'PoR OK: the command packet was accepted and passed to the application.', source: 'TS 102 225 §5.4' },
  0x01: { name: 'rc-cc-ds-failed', category: 'security', securedPor: false, meaning: 'The redundancy check, cryptographic checksum or digital signature did not verify.', source: 'TS 102 225 §5.4' },
  0x02: { name: 'cntr-low', category: 'counter', securedPor: true, meaning: 'The counter is not higher than the one held by the receiving entity (replay).', source: 'TS 102 225 §5.4' },
  0x03: { name: 'cntr-high', category: 'counter', securedPor: true, meaning: 'The counter is higher than the receiving entity accepts (more than one higher, or beyond its window).', source: 'TS 102 225 §5.4' },
  0x04: { name: 'cntr-blocked', category: 'counter', securedPor: true, meaning: 'The counter has reached its maximum value; the key set can no longer be used.', source: 'TS 102 225 §5.4' },
  0x05: { name: 'ciphering-error', category: 'security', securedPor: false, meaning: 'The secured data could not be deciphered (length not a block multiple, padding counter inconsistent).', source: 'TS 102 225 §5.4' },
  0x06: { name: 'unidentified-security-error', category: 'security', securedPor: false, meaning: 'The command header could not be interpreted (unsupported or reserved coding, unknown key); the PoR is sent unciphered without RC/CC/DS.', source: 'TS 102 225 §5.4' },
  0x07: { name: 'insufficient-memory', category: 'resource', securedPor: false, meaning: 'Insufficient memory to process the incoming message.', source: 'TS 102 225 §5.4' },
  0x08: { name: 'more-time', category: 'deferred', securedPor: true, meaning: 'The application needs more time; a later Response Packet follows when processing completes.', source: 'TS 102 225 §5.4' },
  0x09: { name: 'tar-unknown', category: 'routing', securedPor: false, meaning: 'No application with this TAR on the UICC.', source: 'TS 102 225 §5.4' },
  0x0a: { name: 'insufficient-security-level', category: 'security', securedPor: false, meaning: "The SPI asks for less security than the application's minimum security level.", source: 'TS 102 225 §5.4; TS 102 226 §8.2.1.3.2.4.2 (MSL)' },
  0x0b: { name: 'response-via-sms-submit', category: 'deferred', securedPor: true, meaning: 'The actual response data does not fit the SMS-DELIVER-REPORT and will be sent using SMS-SUBMIT.', source: 'TS 31.115 §7' },
  0x0c: { name: 'response-via-ussd', category: 'deferred', securedPor: true, meaning: 'The actual response data will be sent using a USSD operation.', source: 'TS 31.115 §7' },
} as const satisfies Record<number, PorStatusDefinition>;

export type PorStatusCode = keyof typeof POR_STATUS;
export type PorStatusName = (typeof POR_STATUS)[PorStatusCode]['name'];

const BY_NAME = new Map<string, PorStatusCode>(
  (Object.keys(POR_STATUS) as unknown as string[]).map((k) => {
    const code = Number(k) as PorStatusCode;
    return [POR_STATUS[code].name, code] as const;
  }),
);

export function isPorStatusCode(value: number): value is PorStatusCode {
  return Object.prototype.hasOwnProperty.call(POR_STATUS, value);
}

export function porStatusCode(name: PorStatusName): PorStatusCode {
  const code = BY_NAME.get(name);
  // The map is built from the same table the type comes from, so a miss is a programming error.
  if (code === undefined) throw new TypeError(`no PoR status named ${name}`);
  return code;
}

export function porStatusName(code: PorStatusCode): PorStatusName {
  return POR_STATUS[code].name;
}
