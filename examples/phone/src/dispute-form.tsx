import { type Account, type DisputeReason, isCaisseDeviceError } from '@caisse/sdk';
import { useState } from 'preact/hooks';
import { errorText } from './errors.js';

/** The reasons a customer picks from, in their words, in the protocol's order. */
const REASONS: Record<DisputeReason, string> = {
  not_received: 'I did not receive what I paid for',
  duplicate: 'I was charged twice',
  not_as_described: 'It is not what was described',
  unauthorised: 'I did not make this payment',
  other: 'Something else',
};

/**
 * Disputes one paid payment of the history: a reason and the customer's own words. The
 * merchant answers, then the operator decides; a decision for the customer refunds them.
 */
export function DisputeForm({ account, payment, onDone }: { account: Account; payment: string; onDone(message: string): void }) {
  const [reason, setReason] = useState<DisputeReason>('not_received');
  const [message, setMessage] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    if (message.trim() === '') return setError('Say in a few words what went wrong.');
    setBusy(true);
    setError('');
    try {
      const dispute = await account.openDispute({ payment, reason, message });
      onDone(`Dispute opened. The merchant answers by ${dispute.answerDueAt.toLocaleDateString()}, then your payment operator decides.`);
    } catch (caught) {
      if (!isCaisseDeviceError(caught)) throw caught;
      setError(errorText(caught));
      setBusy(false);
    }
  };

  return (
    <form class="card" onSubmit={submit} aria-labelledby="dispute-title" noValidate>
      <h2 id="dispute-title">Report a problem with {payment}</h2>
      <label for="dispute-reason">What went wrong</label>
      <select id="dispute-reason" value={reason} onChange={(event) => setReason(event.currentTarget.value as DisputeReason)}>
        {Object.entries(REASONS).map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
      <label for="dispute-message">Tell the merchant and your payment operator</label>
      <textarea id="dispute-message" maxLength={2000} rows={4} value={message} onInput={(event) => setMessage(event.currentTarget.value)} />
      <p class="error" role="alert">
        {error}
      </p>
      <button type="submit" class="primary wide" disabled={busy}>
        {busy ? 'Sending…' : 'Open a dispute'}
      </button>
      <button type="button" class="secondary wide" onClick={() => onDone('')} disabled={busy}>
        Cancel
      </button>
    </form>
  );
}
