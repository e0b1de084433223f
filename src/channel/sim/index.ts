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
export { APPLET_SPI, ClockSeededCounters, MemorySimDirectory, ORDER_SPI, normaliseMsisdn } from './profiles';
export type { CounterSource, SimDirectory, SimProfile } from './profiles';
export { MemoryMoCounters, ORDER_MINIMUM_SECURITY, SimInbox } from './sim-inbox';
export type { InboxContext, InboxRefusal, MoCounterStore, OrderReceiver, SimInboxEvents, SimInboxOptions } from './sim-inbox';
