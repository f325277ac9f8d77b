/**
 * The sandbox bank's test identities: account references whose behaviour is fixed, so a
 * demo or a test can provoke each outcome on purpose. They work as the customer's bank
 * reference (`customerBankRef` of an authorisation) and as a payout account
 * (`accountRef`). Captures, refunds and voids behave as the identity that was authorised.
 */

export const SANDBOX_BEHAVIOURS = ['approve', 'insufficient_funds', 'lost_card', 'do_not_honour', 'timeout', 'slow'] as const;
export type SandboxBehaviour = (typeof SANDBOX_BEHAVIOURS)[number];

export interface TestIdentity {
  readonly ref: string;
  readonly behaviour: SandboxBehaviour;
  readonly description: string;
}

export const TEST_IDENTITIES = [
  { ref: 'test_approve', behaviour: 'approve', description: 'Approves every operation at once.' },
  { ref: 'test_insufficient_funds', behaviour: 'insufficient_funds', description: 'Declines with `insufficient_funds`.' },
  { ref: 'test_lost_card', behaviour: 'lost_card', description: 'Declines with `lost_card`.' },
  { ref: 'test_do_not_honour', behaviour: 'do_not_honour', description: 'Declines with `do_not_honour`.' },
  {
    ref: 'test_timeout',
    behaviour: 'timeout',
    description:
      'Records and approves the operation at once, but answers only after `timeoutDelayMs` (longer than any sane client timeout), on the first request and on every replay. Only a lookup by key tells the outcome.',
  },
  {
    ref: 'test_slow',
    behaviour: 'slow',
    description: 'Approves, answering after `slowDelayMs` (meant to stay within the client timeout).',
  },
] as const satisfies readonly TestIdentity[];

/** The behaviour of each test identity, by reference. */
export const TEST_IDENTITY_BEHAVIOURS: ReadonlyMap<string, SandboxBehaviour> = new Map(
  TEST_IDENTITIES.map((identity) => [identity.ref, identity.behaviour]),
);
