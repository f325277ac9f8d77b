import type { ConfirmationRequest } from '@caisse/sdk';
import { amountText, timeLeft } from './format.js';

/** What the customer is asked to confirm: who, what, how much, until when. */
export function RequestSummary({ request, now, headingLevel = 3 }: { request: ConfirmationRequest; now: number; headingLevel?: 2 | 3 }) {
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
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
      {request.approval === 'tap' && <p class="hint">Under your tap limit: no PIN needed.</p>}
      <p class="expiry">Expires in {timeLeft(request.expiresAt, now)}</p>
    </div>
  );
}
