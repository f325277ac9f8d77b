import type { Migration } from './migration.js';

/**
 * A checkout whose wallet is short, for a customer whose plan has the bank for the amount
 * but does not send a short wallet there unasked, waits in `choosing` for the customer to
 * take the bank in one step or to give up (checkout/sessions.ts). `offer` keeps what was
 * offered and the confirmation the customer already gave, so taking the offer needs no
 * second confirmation. A session the merchant API opened (the decoupled flow) has no
 * browser to ask: its display is `none`, and a short wallet refuses it at once.
 */
export const migration: Migration = {
  version: 22,
  name: 'checkout_choice',
  sql: /* sql */ `
ALTER TABLE checkout_sessions DROP CONSTRAINT checkout_sessions_state;
ALTER TABLE checkout_sessions ADD CONSTRAINT checkout_sessions_state CHECK (
  state IN ('identifying', 'confirming', 'authorising', 'choosing', 'pending_bank', 'paid', 'refused', 'cancelled')
);
ALTER TABLE checkout_sessions ADD COLUMN offer jsonb;
ALTER TABLE checkout_sessions ADD CONSTRAINT checkout_sessions_offer CHECK (state <> 'choosing' OR offer IS NOT NULL);
ALTER TABLE checkout_sessions DROP CONSTRAINT checkout_sessions_display;
ALTER TABLE checkout_sessions ADD CONSTRAINT checkout_sessions_display CHECK (display IN ('redirect', 'popup', 'none'));
`,
};
