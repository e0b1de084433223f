/**
 * The platform side of the SIM channel: one call that sends an applet request to an MSISDN and resolves
 * with the applet's checked response (README.md in this folder).
 */
export { AppletChannel, newTransactionRef } from './applet-channel';
export type { AppletChannelOptions, AppletResult, RequestOptions, SmsTransport } from './applet-channel';
export { APPLET_CHANNEL_ERRORS, AppletChannelError, isAppletChannelError } from './errors';
export type { AppletChannelErrorCode } from './errors';
export { deviceOtaCrypto, otaKeyLabel } from './ota-keys';
export type { AesKeyDevice } from './ota-keys';
export { APPLET_SPI, ClockSeededCounters, MemorySimDirectory, ORDER_SPI, SharedCounters, normaliseMsisdn } from './profiles';
export type { CounterSource, SharedCounterStore, SimDirectory, SimProfile } from './profiles';
export { POR_CLAIM_TOPIC, POR_TOPIC, parseRelayClaim, parseRelayedPor } from './por-relay';
export type { PorRelay, RelayClaim, RelayStats, RelayTopic, RelayedPor } from './por-relay';
export { PERSONALISATION_FORMAT, PersonalisationError, readPersonalisationLine } from './personalisation';
export type { PersonalisationLine, WrappedOtaKey } from './personalisation';
export { MemoryMoCounters, ORDER_MINIMUM_SECURITY, SimInbox } from './sim-inbox';
export type { InboxContext, InboxRefusal, MoCounterStore, OrderReceiver, SimInboxEvents, SimInboxOptions } from './sim-inbox';
