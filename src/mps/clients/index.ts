export {
  INSTRUMENT_CANONICAL_VERSION,
  ORDER_CANONICAL_VERSION,
  ORDER_REF,
  canonicalEnrolment,
  canonicalOrder,
  enrolmentDisplay,
  orderDisplay,
  parseOrder,
  type EnrolmentFields,
  type OrderFields,
  type Payee,
} from './canonical';
export { ClientDirectory, belongsTo, type ClientView, type InstrumentView, type MobileIdLookup } from './directory';
export { INSTRUMENT_DETAILS, InstrumentService, looksLikeCardNumber, type InstrumentServiceOptions, type NewInstrument } from './instruments';
export { ClientPayments, orderTransferId, type ClientOrderMessage, type ClientOrderResult, type ClientPaymentsOptions, type ReceiptSender } from './client-payments';
