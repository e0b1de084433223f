import { STATUS_CODES } from '../../mss/status';
import { toWireError } from './wire-error';

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  /** The TS 102 204 status code and name, so a REST client handles the same codes a SOAP client does. */
  readonly statusCode: number;
  readonly statusName: string;
  readonly specifier?: number;
}

/** Where the problem types are documented; one per status code. */
export const PROBLEM_TYPE_BASE = 'urn:mssp:problem:';

/** The one place an error becomes RFC 9457 problem+json for the REST binding. */
export function problemJson(err: unknown, specifier?: number): { httpStatus: number; body: Problem; unexpected: boolean } {
  const wire = toWireError(err, specifier);
  const definition = STATUS_CODES[wire.code];
  const detail = wire.reason !== definition.name ? wire.reason.slice(definition.name.length + 2) : undefined;
  const body: Problem = {
    type: `${PROBLEM_TYPE_BASE}${definition.name.toLowerCase()}`,
    title: definition.text,
    status: definition.http,
    ...(detail ? { detail } : {}),
    statusCode: wire.code,
    statusName: definition.name,
    ...(wire.specifier !== undefined ? { specifier: wire.specifier } : {}),
  };
  return { httpStatus: definition.http, body, unexpected: wire.unexpected };
}
