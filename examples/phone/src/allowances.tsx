import { type Account, type Allowance, isCaisseDeviceError } from '@caisse/sdk';
import { useEffect, useRef, useState } from 'preact/hooks';
import { periodText, untilText } from './allowance-terms.js';
import { errorText } from './errors.js';
import { amountText, nameOf } from './format.js';

/** Charges are not announced on the stream: the used and left amounts are read again this often while the screen is open. */
const REFRESH_MS = 30_000;

function AllowanceCard({ allowance, onRevoke }: { allowance: Allowance; onRevoke(): Promise<void> }) {
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const money = (amount: number) => amountText(amount, allowance.currency);
  const period = periodText(allowance.period);
  const name = allowance.merchant.name;
  return (
    <li class="card allowance">
      <h3>{name}</h3>
      <p class="spent-line">
        <span>
          {money(allowance.used)} of {money(allowance.maximum)}
          {period && ` ${period}`}
        </span>
        <strong>{money(allowance.remaining)} left</strong>
      </p>
      <meter
        min={0}
        max={allowance.maximum}
        value={allowance.used}
        aria-label={`${name}: ${money(allowance.used)} used of ${money(allowance.maximum)}`}
      />
      <p class="hint">
        Until {untilText(allowance.expiresAt)}
        {allowance.chargeCap !== null && ` · at most ${money(allowance.chargeCap)} per charge`}
      </p>
      {confirming ? (
        <div class="actions">
          <button type="button" class="secondary" disabled={busy} onClick={() => setConfirming(false)}>
            Keep
          </button>
          <button
            type="button"
            class="danger"
            disabled={busy}
            onClick={() => {
              setBusy(true);
              onRevoke().finally(() => setBusy(false));
            }}
          >
            Revoke now
          </button>
        </div>
      ) : (
        <button type="button" class="link" onClick={() => setConfirming(true)}>
          Revoke…
        </button>
      )}
    </li>
  );
}

/**
 * The account's live session allowances: per merchant, what is used and left of the
 * maximum, how often it renews, until when, and a revoke with a confirm step (it ends at
 * once, without the PIN). Kept current by the account's stream and a refresh timer.
 */
export function AllowancesView({ account, onClose, onNotice }: { account: Account; onClose(): void; onNotice(message: string): void }) {
  const [allowances, setAllowances] = useState<Allowance[] | undefined>(undefined);
  const [error, setError] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => heading.current?.focus(), []);
  useEffect(() => {
    const controller = new AbortController();
    account
      .watchAllowances(
        (list) => {
          setError('');
          setAllowances(list);
        },
        { signal: controller.signal, refreshEvery: REFRESH_MS },
      )
      .catch((caught: unknown) => {
        if (controller.signal.aborted) return;
        if (!isCaisseDeviceError(caught)) throw caught;
        setError(errorText(caught));
      });
    return () => controller.abort();
  }, [account]);

  const revoke = async (allowance: Allowance) => {
    try {
      setAllowances(await account.revokeAllowance(allowance.id));
      onNotice(`${allowance.merchant.name} can no longer charge you under this allowance.`);
    } catch (caught) {
      if (!isCaisseDeviceError(caught)) throw caught;
      setError(errorText(caught));
    }
  };

  return (
    <section aria-labelledby="allowances-title" aria-busy={allowances === undefined && error === ''}>
      <h2 id="allowances-title" ref={heading} tabIndex={-1}>
        Allowances · {nameOf(account)}
      </h2>
      <p class="error" role="alert">
        {error}
      </p>
      {allowances === undefined ? (
        error === '' && <p class="empty">Loading…</p>
      ) : allowances.length === 0 ? (
        <p class="empty">No merchant may charge you without asking.</p>
      ) : (
        <ul class="list">
          {allowances.map((allowance) => (
            <AllowanceCard key={allowance.id} allowance={allowance} onRevoke={() => revoke(allowance)} />
          ))}
        </ul>
      )}
      <button type="button" class="secondary wide" onClick={onClose}>
        Back
      </button>
    </section>
  );
}
