import type { JsonValue } from './canonical-json';
import { AuditError } from './errors';

/**
 * What may not enter the log in clear (Y.2740, PCI DSS): PINs, passwords and secrets never; national identifiers
 * and card numbers only masked. The log is append-only and hashed, so a secret written once can never be
 * removed: the check happens before the entry is built, by key name, which is deterministic (guessing card
 * numbers from digits alone would refuse MSISDNs and numeric transaction ids at random).
 */

const MASK = '*';

/** A national identifier reduced to its last four characters, e.g. `*******1234`. */
export function maskNationalId(id: string): string {
  const clean = id.trim();
  if (clean.length <= 4) return MASK.repeat(4);
  return MASK.repeat(clean.length - 4) + clean.slice(-4);
}

/** A card number (PAN) as PCI DSS allows it to be shown: the first six and last four digits, e.g. `411111******1111`. */
export function maskPan(pan: string): string {
  const digits = pan.replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(digits)) throw new AuditError('BAD_ENTRY', 'a card number must have 12 to 19 digits');
  return digits.slice(0, 6) + MASK.repeat(digits.length - 10) + digits.slice(-4);
}

/** Lower case, letters and digits only: `new_PIN`, `newPin` and `new-pin` all become `newpin`. */
function normalise(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '');
}

// Anywhere in the name.
const SECRET_WORDS = ['password', 'passwd', 'passphrase', 'secret', 'privatekey', 'sessionkey', 'credential'];
// At the end of the name, so that `pinTries` or `pinBlocked` (facts about a PIN) pass and `newPin` does not.
const SECRET_ENDINGS = ['pin', 'pincode', 'pinblock', 'puk', 'otp', 'cvv', 'cvv2', 'cvc', 'cvc2', 'pwd'];
const PAN_KEYS = ['pan', 'cardnumber', 'cardno', 'primaryaccountnumber'];
const NATIONAL_ID_KEYS = ['nationalid', 'nationalidentifier', 'personalcode', 'personalidentitycode', 'ssn', 'socialsecuritynumber', 'idnumber', 'personalnumber'];

export type FieldRule = 'secret' | 'pan' | 'nationalId' | 'free';

/** Which rule a details key falls under. */
export function fieldRule(key: string): FieldRule {
  const k = normalise(key);
  if (SECRET_WORDS.some((w) => k.includes(w)) || SECRET_ENDINGS.some((e) => k === e || k.endsWith(e))) return 'secret';
  if (PAN_KEYS.some((p) => k === p || k.endsWith(p))) return 'pan';
  if (NATIONAL_ID_KEYS.some((n) => k === n || k.endsWith(n))) return 'nationalId';
  return 'free';
}

const MASKED_PAN = /^\d{0,6}\*+\d{0,4}$/;
const MASKED_NATIONAL_ID = /^\*+[^*]{0,4}$/;

/**
 * Throws AuditError SECRET_FIELD for a key named like a secret, UNMASKED_VALUE for a card number or national
 * identifier that is not masked; walks nested objects and arrays.
 */
export function checkDetails(details: JsonValue, path = 'details'): void {
  if (details === null || typeof details !== 'object') return;
  if (Array.isArray(details)) {
    (details as readonly JsonValue[]).forEach((v, i) => checkDetails(v, `${path}[${i}]`));
    return;
  }
  for (const [key, value] of Object.entries(details)) {
    const where = `${path}.${key}`;
    switch (fieldRule(key)) {
      case 'secret':
        throw new AuditError('SECRET_FIELD', `${where} is named like a PIN, password or secret; those never enter the audit log`);
      case 'pan':
        if (value !== null && !(typeof value === 'string' && MASKED_PAN.test(value))) {
          throw new AuditError('UNMASKED_VALUE', `${where} must be a card number masked with maskPan() (first 6 and last 4 digits)`);
        }
        break;
      case 'nationalId':
        if (value !== null && !(typeof value === 'string' && MASKED_NATIONAL_ID.test(value))) {
          throw new AuditError('UNMASKED_VALUE', `${where} must be a national identifier masked with maskNationalId() (last 4 only)`);
        }
        break;
      case 'free':
        checkDetails(value, where);
        break;
    }
  }
}
