import type { StoreMigration } from './schema-helpers';

/**
 * An offer ends once. The key (offer, state) of 0032 lets an offer enter each state once, but two nodes could
 * still end the same offer in two different final states (one books it paid while the other's sweep expires it).
 * This partial unique index makes the final states one slot per offer: the first node to end the offer wins, the
 * other's insert is refused and it reads the winner's row. Both engines support partial indexes.
 */
// Written out rather than imported: a migration must not change when the code's list does.
const finalList = `'paid', 'refused', 'cancelled', 'expired', 'failed'`;

export const migration0037OfferFinalState: StoreMigration = {
  name: '0037_offer_final_state',
  async up(knex) {
    await knex.raw(`create unique index mps_offer_states_one_final on mps_offer_states (offer_id) where state in (${finalList})`);
    // The recovery sweep looks for offers without a final state, oldest first.
    await knex.raw('create index mps_offers_created_at on mps_offers (created_at)');
  },
  async down(knex) {
    await knex.raw('drop index mps_offers_created_at');
    await knex.raw('drop index mps_offer_states_one_final');
  },
};
