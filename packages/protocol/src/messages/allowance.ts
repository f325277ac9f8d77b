import * as z from 'zod';
import { amount, currency, id, label, timestamp } from './fields.js';
import { allowancePeriod } from './ticket.js';

/**
 * A session allowance as the customer's phone and account page show it (`GET
 * /device/allowances`): to whom, how much is used and left of the maximum in the current
 * period, and until when. The customer revokes a live one at once.
 */
export const customerAllowance = z.strictObject({
  id,
  merchant: z.strictObject({ id, name: label }),
  currency,
  maximum: amount,
  chargeCap: amount.nullable(),
  period: allowancePeriod.nullable(),
  used: amount,
  remaining: amount,
  chargeCount: z.int().min(0),
  periodEnd: timestamp,
  expiresAt: timestamp,
  grantedAt: timestamp,
});

/** The customer's live allowances, newest first. */
export const customerAllowances = z.strictObject({ allowances: z.array(customerAllowance) });

export type CustomerAllowance = z.infer<typeof customerAllowance>;
