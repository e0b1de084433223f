import type { RegistrationMode } from '../../store';
import { REGISTRATION_MODES } from '../../store';
import { RaError } from './errors';

/** Who is registered: what the registration officer checked against an identity document. */
export interface CitizenIdentity {
  readonly givenName: string;
  readonly familyName: string;
  readonly nationalId: string;
  /** YYYY-MM-DD */
  readonly birthDate: string;
}

/** ITU-T Y.2740 level 4 needs in-person registration; a remote registration supports at most level 3. */
export function maxLevelFor(mode: RegistrationMode): 3 | 4 {
  return mode === 'in-person' ? 4 : 3;
}

export function checkMode(mode: string): RegistrationMode {
  if (!(REGISTRATION_MODES as readonly string[]).includes(mode)) {
    throw new RaError('INVALID_IDENTITY', `the registration mode must be ${REGISTRATION_MODES.join(' or ')}, not "${mode.slice(0, 20)}"`);
  }
  return mode as RegistrationMode;
}

function name(value: string, what: string): string {
  const v = typeof value === 'string' ? value.trim().replace(/\s+/g, ' ') : '';
  // Letters of any script, marks, spaces, apostrophes, hyphens and dots: what names on identity documents hold.
  if (v === '' || v.length > 64 || !/^[\p{L}\p{M}' .-]+$/u.test(v)) throw new RaError('INVALID_IDENTITY', `${what} must be 1 to 64 letters (with spaces, ' - .)`);
  return v;
}

export function checkIdentity(identity: CitizenIdentity, now = new Date()): CitizenIdentity {
  const nationalId = typeof identity.nationalId === 'string' ? identity.nationalId.trim() : '';
  if (!/^[A-Za-z0-9][A-Za-z0-9./-]{0,31}$/.test(nationalId)) throw new RaError('INVALID_IDENTITY', 'the national identifier must be 1 to 32 letters, digits, . / -');
  const birth = typeof identity.birthDate === 'string' ? identity.birthDate.trim() : '';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(birth);
  const date = m === null ? undefined : new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  if (m === null || date === undefined || date.toISOString().slice(0, 10) !== birth) throw new RaError('INVALID_IDENTITY', `the date of birth must be a date written YYYY-MM-DD, not "${birth.slice(0, 20)}"`);
  if (date.getTime() > now.getTime() || date.getUTCFullYear() < 1900) throw new RaError('INVALID_IDENTITY', 'the date of birth must be in the past (and after 1900)');
  return { givenName: name(identity.givenName, 'the given name'), familyName: name(identity.familyName, 'the family name'), nationalId, birthDate: birth };
}

export function checkOfficer(officer: string): string {
  const v = typeof officer === 'string' ? officer.trim() : '';
  if (v === '' || v.length > 255 || /[\u0000-\u001f\u007f]/.test(v)) throw new RaError('INVALID_IDENTITY', 'the registration officer must be named (1 to 255 characters)');
  return v;
}

export function checkLabel(label: string): string {
  const v = typeof label === 'string' ? label.trim() : '';
  if (!/^[a-z0-9][a-z0-9._-]{0,31}$/.test(v)) throw new RaError('INVALID_IDENTITY', 'the mID label must be 1 to 32 lower-case letters, digits, . _ - (e.g. government, bank)');
  return v;
}
