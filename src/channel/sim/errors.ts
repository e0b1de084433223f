import type { PorStatusName } from '../ota';

/**
 * Every way `AppletChannel.request` fails, as one closed table (STYLE.md examples 1 and 3). approval/ maps
 * them to TS 102 204 codes: TIMEOUT → 208 EXPIRED_TRANSACTION, UNKNOWN_MSISDN → 105 UNKNOWN_CLIENT,
 * the rest → 780/900-range errors (the SIM or the network failed, not the citizen).
 */
export const APPLET_CHANNEL_ERRORS = {
  /** No SIM profile (TAR, OTA key versions) is known for the MSISDN. */
  UNKNOWN_MSISDN: 'no SIM profile for this MSISDN',
  /** The platform cannot build the command packet: the SIM's OTA keys are missing or unusable in the HSM. */
  OTA_KEYS: 'the SIM OTA keys are not usable',
  /** The SMSC did not take the request (refused, unreachable, queue full). `cause` holds the SMPP error. */
  SUBMIT_FAILED: 'the SMSC did not accept the request',
  /** No answer from the handset within the timeout. */
  TIMEOUT: 'the handset did not answer in time',
  /** The SIM answered with a PoR status other than OK (wrong checksum, counter, unknown TAR...). */
  POR_ERROR: 'the SIM refused the command packet',
  /** The PoR was fine but its data is not a valid applet response to this request. */
  BAD_RESPONSE: 'the applet response is malformed or does not answer the request',
  /** The request itself cannot be encoded (text too long, bad reference...). `cause` holds the AppletError. */
  BAD_REQUEST: 'the applet request cannot be encoded',
  /** The channel was closed while the request waited. */
  CLOSED: 'the applet channel is closed',
} as const;
export type AppletChannelErrorCode = keyof typeof APPLET_CHANNEL_ERRORS;

export class AppletChannelError extends Error {
  override readonly name = 'AppletChannelError';

  constructor(
    readonly code: AppletChannelErrorCode,
    /** Loggable specifics: MSISDN, PoR status, whether the PoR was secured. Never key material. */
    readonly detail: Readonly<{ msisdn?: string; porStatus?: PorStatusName; secured?: boolean; timeoutMs?: number }> = {},
    options?: { cause?: unknown },
  ) {
    super(APPLET_CHANNEL_ERRORS[code], options);
  }
}

export function isAppletChannelError(err: unknown, code?: AppletChannelErrorCode): err is AppletChannelError {
  return err instanceof AppletChannelError && (code === undefined || err.code === code);
}
