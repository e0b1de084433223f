export { ApiKeys, type ApiPrincipal, type NewApiKey } from './api-keys';
export { MpsDirectory, checkWebhookUrl } from './directory';
export { IdempotencyAnswers, checkIdempotencyKey, requestHash, type Remembered } from './idempotency';
export type { ApiRole, MerchantRecord } from '../../store';
