import type { ConfirmationRequest } from '@caisse/sdk';
import { grantLines } from './allowance-terms.js';
import { amountText, timeLeft } from './format.js';

/** What the customer is asked to confirm: who, what, how much, until when; for an allowance, its terms. */
export function RequestSummary({ request, now, headingLevel = 3 }: { request: ConfirmationRequest; now: number; headingLevel?: 2 | 3 }) {
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  const grant = grantLines(request);
  return (
    <div class="summary">
      <Heading class="payee">{request.payee.name}</Heading>
      <p class="amount">{amountText(request.amount, request.currency)}</p>
      {request.items.length > 0 && (
        <ul class="items" aria-label="Items">
          {request.items.map((item) => (
            <li key={item.id}>
              <span>
                {item.quantity > 1 ? `${item.quantity} × ` : ''}
                {item.label}
              </span>
              <span>{amountText(item.quantity * item.unitAmount, request.currency)}</span>
            </li>
          ))}
        </ul>
      )}
      {grant.length > 0 && (
        <div class="grant">
          {grant.map((line) => (
            <p key={line}>{line}</p>
          ))}
        </div>
      )}
      {request.approval === 'tap' && <p class="hint">Under your tap limit: no PIN needed.</p>}
      <p class="expiry">Expires in {timeLeft(request.expiresAt, now)}</p>
    </div>
  );
}
