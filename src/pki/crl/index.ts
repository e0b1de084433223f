/** Full CRLs signed in the HSM, re-made on every status change and before nextUpdate. */
export { buildCrl, encodeTbsCertList, type CrlInput, type CrlEntryInput } from './build';
export { publishCrl, crlCounterName, crlRefreshReason, type PublishCrlOptions } from './publish';
export { CrlService, type CrlServiceOptions } from './service';
