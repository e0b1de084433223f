import { RaError } from './errors';

/**
 * MSISDNs in E.164 form (ITU-T E.164: country code and subscriber number, at most 15 digits), stored as '+'
 * and digits. Operators may type spaces, dashes, dots and parentheses, and the international prefix 00 for
 * '+'; a national number without a country code is refused, because the platform cannot know the country.
 */
export function normaliseMsisdn(input: string): string {
  if (typeof input !== 'string') throw new RaError('INVALID_MSISDN', 'the MSISDN must be text');
  const compact = input.trim().replace(/[\s().-]/g, '');
  const international = compact.startsWith('00') ? `+${compact.slice(2)}` : compact;
  if (!/^\+\d+$/.test(international)) {
    throw new RaError('INVALID_MSISDN', `"${input.slice(0, 40)}" is not an international number: write it as + (or 00), country code and number`);
  }
  const digits = international.slice(1);
  // Country codes never start with 0 (E.164 §6.2.1); 8 digits is the shortest mobile number in international form.
  if (digits.length < 8 || digits.length > 15 || digits.startsWith('0')) {
    throw new RaError('INVALID_MSISDN', `"${input.slice(0, 40)}" must have 8 to 15 digits after the +, the first not 0 (E.164)`);
  }
  return international;
}

export function isNormalisedMsisdn(value: string): boolean {
  return /^\+[1-9]\d{7,14}$/.test(value);
}
