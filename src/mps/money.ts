import { MpsError } from './errors';

/**
 * Amounts are integers in minor units (cents for EUR, yen for JPY), as bigint in code and decimal strings on the
 * wire and in the database: never floats. Anything that does not fit a signed 64-bit integer is refused, because
 * banks' systems and our database columns are 64-bit.
 */

export const INT64_MAX = 2n ** 63n - 1n;
export const INT64_MIN = -(2n ** 63n);

/**
 * ISO 4217 active codes with their minor units (list of 2024). Funds codes and precious metals are left out:
 * they are not payment currencies. The table is data; update it when the standard's list changes.
 */
const ISO_4217 =
  'AED2 AFN2 ALL2 AMD2 AOA2 ARS2 AUD2 AWG2 AZN2 BAM2 BBD2 BDT2 BGN2 BHD3 BIF0 BMD2 BND2 BOB2 BRL2 BSD2 BTN2 BWP2 BYN2 BZD2 ' +
  'CAD2 CDF2 CHF2 CLP0 CNY2 COP2 CRC2 CUP2 CVE2 CZK2 DJF0 DKK2 DOP2 DZD2 EGP2 ERN2 ETB2 EUR2 FJD2 FKP2 GBP2 GEL2 GHS2 GIP2 ' +
  'GMD2 GNF0 GTQ2 GYD2 HKD2 HNL2 HTG2 HUF2 IDR2 ILS2 INR2 IQD3 IRR2 ISK0 JMD2 JOD3 JPY0 KES2 KGS2 KHR2 KMF0 KPW2 KRW0 KWD3 ' +
  'KYD2 KZT2 LAK2 LBP2 LKR2 LRD2 LSL2 LYD3 MAD2 MDL2 MGA2 MKD2 MMK2 MNT2 MOP2 MRU2 MUR2 MVR2 MWK2 MXN2 MYR2 MZN2 NAD2 NGN2 ' +
  'NIO2 NOK2 NPR2 NZD2 OMR3 PAB2 PEN2 PGK2 PHP2 PKR2 PLN2 PYG0 QAR2 RON2 RSD2 RUB2 RWF0 SAR2 SBD2 SCR2 SDG2 SEK2 SGD2 SHP2 ' +
  'SLE2 SOS2 SRD2 SSP2 STN2 SVC2 SYP2 SZL2 THB2 TJS2 TMT2 TND3 TOP2 TRY2 TTD2 TWD2 TZS2 UAH2 UGX0 USD2 UYU2 UYW4 UZS2 VES2 ' +
  'VND0 VUV0 WST2 XAF0 XCD2 XOF0 XPF0 YER2 ZAR2 ZMW2 ZWG2';

export const CURRENCIES: ReadonlyMap<string, number> = new Map(ISO_4217.split(' ').map((entry) => [entry.slice(0, 3), Number(entry.slice(3))]));

export function checkCurrency(code: unknown): string {
  if (typeof code !== 'string' || !CURRENCIES.has(code)) {
    throw new MpsError('UNKNOWN_CURRENCY', `currency ${typeof code === 'string' ? JSON.stringify(code.slice(0, 8)) : typeof code} is not an ISO 4217 code`);
  }
  return code;
}

/**
 * A positive amount in minor units from a bigint or a decimal string. Numbers are refused outright: a JS number
 * may already have lost digits (or be 12.5) before we see it.
 */
export function parseAmount(value: unknown, what = 'amount'): bigint {
  let amount: bigint;
  if (typeof value === 'bigint') amount = value;
  else if (typeof value === 'string' && /^-?\d{1,40}$/.test(value)) amount = BigInt(value);
  else throw new MpsError('INVALID_AMOUNT', `${what} must be an integer in minor units, given as a decimal string`);
  if (amount <= 0n) throw new MpsError('INVALID_AMOUNT', `${what} must be greater than zero`);
  if (amount > INT64_MAX) throw new MpsError('AMOUNT_OUT_OF_RANGE', `${what} does not fit in a signed 64-bit integer`);
  return amount;
}

/** "12.34" for 1234n in EUR: for display to the client, never for arithmetic. */
export function formatAmount(amount: bigint, currency: string): string {
  const digits = CURRENCIES.get(checkCurrency(currency)) ?? 2;
  const negative = amount < 0n;
  const text = (negative ? -amount : amount).toString().padStart(digits + 1, '0');
  const whole = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return `${negative ? '-' : ''}${whole}`;
}
