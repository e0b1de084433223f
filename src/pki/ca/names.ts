import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { PKIX_OID } from '../profiles/oids';
import { CaError } from './errors';

/**
 * Subject names the CA writes. Attribute values are UTF8String (RFC 5280 §4.1.2.6: "MUST use UTF8String"
 * for new certificates) except countryName and serialNumber, which X.520 defines as PrintableString.
 * RDNs run from the country down to the common name, as X.500 directories order them.
 */
export type SubjectSpec =
  | {
      readonly kind: 'citizen';
      readonly givenName: string;
      readonly familyName: string;
      readonly nationalId: string;
      readonly country?: string;
    }
  | {
      readonly kind: 'ca' | 'service';
      readonly commonName: string;
      readonly organization?: string;
      readonly country?: string;
    };

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

function checkText(value: string, what: string, max = 64): string {
  // X.520 upper bounds: ub-common-name and ub-organization-name are 64.
  if (typeof value !== 'string' || value.trim() === '' || value.length > max || /[\u0000-\u001f\u007f]/.test(value)) {
    throw new CaError('BAD_INPUT', `${what} must be 1 to ${max} printable characters`);
  }
  return value.trim();
}

function checkCountry(country: string): string {
  if (!/^[A-Z]{2}$/.test(country)) throw new CaError('BAD_INPUT', `country must be two upper-case letters (ISO 3166-1 alpha-2), not "${country}"`);
  return country;
}

/**
 * serialNumber of a natural person, ETSI EN 319 412-1 §5.1.3: "PNO" + country + "-" + national identifier
 * when the country is known; the bare identifier otherwise.
 */
export function citizenSerialNumber(nationalId: string, country?: string): string {
  const id = checkText(nationalId, 'national identifier', 32);
  if (!PRINTABLE.test(id)) throw new CaError('BAD_INPUT', 'the national identifier must use letters, digits and - . / only');
  return country === undefined ? id : `PNO${checkCountry(country)}-${id}`;
}

type Rdn = Record<string, x509.JsonAttributeObject[]>;
const utf8 = (type: string, value: string): Rdn => ({ [type]: [{ utf8String: value }] });
const printable = (type: string, value: string): Rdn => ({ [type]: [{ printableString: value }] });

export function subjectName(spec: SubjectSpec): x509.Name {
  const rdns: Rdn[] = [];
  if (spec.country !== undefined) rdns.push(printable(PKIX_OID.countryName, checkCountry(spec.country)));
  if (spec.kind === 'citizen') {
    const given = checkText(spec.givenName, 'given name');
    const family = checkText(spec.familyName, 'family name');
    rdns.push(utf8(PKIX_OID.surname, family), utf8(PKIX_OID.givenName, given));
    rdns.push(printable(PKIX_OID.serialNumber, citizenSerialNumber(spec.nationalId, spec.country)));
    rdns.push(utf8(PKIX_OID.commonName, checkText(`${given} ${family}`, 'common name')));
  } else {
    if (spec.organization !== undefined) rdns.push(utf8(PKIX_OID.organizationName, checkText(spec.organization, 'organization')));
    rdns.push(utf8(PKIX_OID.commonName, checkText(spec.commonName, 'common name')));
  }
  return new x509.Name(rdns);
}
