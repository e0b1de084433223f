import type { ApprovalOutcomeKind } from '../approval';
import { HANDSET_OUTCOME_STATUS, type StatusCode } from './status';

/** What each approval outcome means to the AP: the one mapping from the handset's world to TS 102 204 codes. */
export const OUTCOME_STATUS = {
  signed: 500,
  ...HANDSET_OUTCOME_STATUS,
  unreachable: 209,
  'unknown-user': 105,
} as const satisfies Record<ApprovalOutcomeKind | 'bad-signature', StatusCode>;
