import { type Account, type CurrencyMoney, isCaisseDeviceError, type MoneyOverview, type SpentInPeriod } from '@caisse/sdk';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from './errors.js';
import { amountText, nameOf } from './format.js';
import { planSummary } from './plan-form.js';
import { PlanScreen } from './plan-screen.js';

/** What was spent in a period against its ceiling, and by which means. */
function Spent({ label, period, currency }: { label: string; period: SpentInPeriod; currency: string }) {
  const money = (amount: number) => amountText(amount, currency);
  return (
    <div class="spent">
      <p class="spent-line">
        <strong>{label}</strong>
        <span>
          {money(period.spent)} of {money(period.ceiling)}
        </span>
      </p>
      <meter
        min={0}
        max={Math.max(period.ceiling, 1)}
        value={Math.min(period.spent, period.ceiling)}
        aria-label={`${label}: ${money(period.spent)} spent of ${money(period.ceiling)}`}
      />
      <p class="hint">
        Wallet {money(period.byMeans.wallet)} · Bank {money(period.byMeans.bank)} · {money(period.remaining)} left
      </p>
    </div>
  );
}

function CurrencyCard({ money, onPlan }: { money: CurrencyMoney; onPlan(): void }) {
  const { currency, wallet } = money;
  const amount = (value: number) => amountText(value, currency);
  return (
    <li class="card money">
      <h3>{currency}</h3>
      <dl class="figures">
        <div>
          <dt>Wallet</dt>
          <dd>
            {wallet ? amount(wallet.balance) : 'No wallet'}
            {wallet && wallet.cap !== null && <small> of {amount(wallet.cap)} at most</small>}
          </dd>
        </div>
        <div>
          <dt>Loyalty points</dt>
          <dd>worth {amount(money.points)}</dd>
        </div>
      </dl>
      <Spent label="Spent today" period={money.day} currency={currency} />
      <Spent label="Spent this month" period={money.month} currency={currency} />
      <p class="hint">{planSummary(money.plan, currency)}</p>
      <button type="button" class="secondary wide" onClick={onPlan}>
        Payment plan in {currency}…
      </button>
    </li>
  );
}

/**
 * "My money" for one account on this phone: per currency the wallet, the loyalty points,
 * what was spent today and this month against the ceilings (per means) and the plan, which
 * opens the plan screen.
 */
export function MoneyView({ account, onClose, onNotice }: { account: Account; onClose(): void; onNotice(message: string): void }) {
  const [overview, setOverview] = useState<MoneyOverview | undefined>(undefined);
  const [error, setError] = useState('');
  const [planOf, setPlanOf] = useState<string | undefined>(undefined);
  const [reads, setReads] = useState(0);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    const controller = new AbortController();
    setError('');
    account
      .overview({ signal: controller.signal })
      .then(setOverview)
      .catch((caught: unknown) => {
        if (controller.signal.aborted) return;
        if (!isCaisseDeviceError(caught)) throw caught;
        setError(errorText(caught));
      });
    return () => controller.abort();
  }, [account, reads]);

  // On opening, and back from the plan, the customer lands on this view's title.
  useEffect(() => heading.current?.focus(), [planOf]);

  if (planOf !== undefined) {
    return (
      <PlanScreen
        account={account}
        currency={planOf}
        onDone={(message) => {
          setPlanOf(undefined);
          onNotice(message);
          // A saved plan changes the ceilings shown here.
          if (message) setReads((count) => count + 1);
        }}
      />
    );
  }

  return (
    <section aria-labelledby="money-title" aria-busy={overview === undefined && error === ''}>
      <h2 id="money-title" ref={heading} tabIndex={-1}>
        My money · {nameOf(account)}
      </h2>
      <p class="error" role="alert">
        {error}
      </p>
      {overview === undefined ? (
        error === '' && <p class="empty">Loading…</p>
      ) : overview.currencies.length === 0 ? (
        <p class="empty">No wallet or payment plan yet.</p>
      ) : (
        <ul class="list">
          {overview.currencies.map((money) => (
            <CurrencyCard key={money.currency} money={money} onPlan={() => setPlanOf(money.currency)} />
          ))}
        </ul>
      )}
      <button type="button" class="secondary wide" onClick={onClose}>
        Back
      </button>
    </section>
  );
}
