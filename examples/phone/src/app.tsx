import { type Account, type ConfirmationRequest, createDevice, indexedDbStore, isCaisseDeviceError } from '@caisse/sdk';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { AllowancesView } from './allowances.js';
import { ChangePinForm } from './change-pin.js';
import { DisputeForm } from './dispute-form.js';
import { EnrollForm } from './enroll.js';
import { errorText } from './errors.js';
import { amountText, hostOf } from './format.js';
import { addToHistory, type HistoryEntry, readHistory, reconcile, recordOutcome } from './history.js';
import { type Connection, useLiveRequests } from './live.js';
import { MoneyView } from './money.js';
import { outcomeClass, outcomeText } from './outcome-text.js';
import { PinPad } from './pin-pad.js';
import { RequestSummary } from './request-card.js';

const device = createDevice({ store: indexedDbStore() });

const CONNECTION_TEXT: Record<Connection, string> = {
  connecting: 'Connecting…',
  live: 'Connected',
  reconnecting: 'Offline, reconnecting…',
  revoked: 'Removed from this account',
  stopped: 'Stopped; reload the app',
};

/** A paid payment of the history the customer reports a problem with. */
interface Disputing {
  account: Account;
  payment: string;
}

interface Answering {
  account: Account;
  request: ConfirmationRequest;
}

function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

export function App() {
  const [accounts, setAccounts] = useState<Account[] | undefined>(undefined);
  const [adding, setAdding] = useState(false);
  const [answering, setAnswering] = useState<Answering | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [pinError, setPinError] = useState<{ message: string } | undefined>(undefined);
  const [notice, setNotice] = useState('');
  const [history, setHistory] = useState<HistoryEntry[]>(readHistory);
  const [removing, setRemoving] = useState<string | undefined>(undefined);
  const [changingPin, setChangingPin] = useState<Account | undefined>(undefined);
  const [disputing, setDisputing] = useState<Disputing | undefined>(undefined);
  const [moneyOf, setMoneyOf] = useState<Account | undefined>(undefined);
  const [allowancesOf, setAllowancesOf] = useState<Account | undefined>(undefined);
  const now = useNow();

  const reload = () => device.accounts().then(setAccounts);
  useEffect(() => {
    reload();
  }, []);
  const live = useLiveRequests(
    useMemo(() => accounts ?? [], [accounts]),
    useMemo(
      () => ({
        onOutcome: (id: string, outcome: Parameters<typeof recordOutcome>[1]) => setHistory(recordOutcome(id, outcome)),
        onHistory: (account: Account, answered: Parameters<typeof reconcile>[2]) =>
          setHistory(reconcile(account.deviceId, account.account, answered)),
      }),
      [],
    ),
  );
  const [{ requests, connections }, dropRequest] = live;

  const open = (accounts ?? []).flatMap((account) =>
    (requests[account.deviceId] ?? []).filter((request) => request.expiresAt * 1000 > now).map((request) => ({ account, request })),
  );

  const finish = (message: string) => {
    setAnswering(undefined);
    setPinError(undefined);
    setBusy(false);
    setNotice(message);
  };

  // The request on the PIN pad was cancelled at the checkout, expired or answered elsewhere.
  const onPad = answering && (requests[answering.account.deviceId] ?? []).some((request) => request.id === answering.request.id);
  useEffect(() => {
    if (answering && !busy && !onPad) finish('This request is no longer open: it was cancelled, expired or answered elsewhere.');
  }, [answering, busy, onPad]);

  /** Declines without `approval`; approves with `{ pin }`, or `{}` for a tap request. */
  const answer = async ({ account, request }: Answering, approval?: { pin?: string }) => {
    setBusy(true);
    setNotice('');
    try {
      const outcome = approval === undefined ? await account.decline(request) : await account.approve(request, approval.pin);
      setHistory(
        addToHistory({
          id: request.id,
          deviceId: account.deviceId,
          account: account.account,
          payee: request.payee.name,
          amount: request.amount,
          currency: request.currency,
          outcome,
          at: Date.now(),
        }),
      );
      dropRequest(account.deviceId, request.id);
      const money = amountText(request.amount, request.currency);
      finish(`${request.allowance ? 'Allowance of up to' : 'Payment of'} ${money} to ${request.payee.name} ${outcome}.`);
    } catch (error) {
      if (!isCaisseDeviceError(error)) throw error;
      if (error.code === 'pin_invalid' && approval?.pin !== undefined) {
        setBusy(false);
        setPinError({ message: errorText(error) });
        return;
      }
      if (['confirmation_expired', 'confirmation_answered', 'confirmation_unknown'].includes(error.code)) {
        dropRequest(account.deviceId, request.id);
      }
      finish(errorText(error));
    }
  };

  const remove = async (account: Account) => {
    setRemoving(undefined);
    try {
      await account.revoke();
      setNotice(`This phone no longer confirms payments for ${account.displayName ?? account.account}.`);
    } catch (error) {
      if (!isCaisseDeviceError(error)) throw error;
      setNotice(errorText(error));
    }
    reload();
  };

  if (accounts === undefined) return <main aria-busy="true" />;

  return (
    <>
      <header class="top">
        <h1>Caisse</h1>
      </header>
      <main>
        <p class="notice" role="status">
          {notice}
        </p>

        {answering ? (
          <section class="card" aria-labelledby="approve-title">
            <h2 id="approve-title">{answering.request.allowance ? 'Grant this allowance?' : 'Approve this payment?'}</h2>
            <RequestSummary request={answering.request} now={now} />
            <PinPad
              submitLabel={`Approve ${amountText(answering.request.amount, answering.request.currency)}`}
              busy={busy}
              {...(pinError ? { error: pinError } : {})}
              onSubmit={(pin) => answer(answering, { pin })}
              onCancel={() => finish('')}
            />
          </section>
        ) : changingPin ? (
          <ChangePinForm
            account={changingPin}
            onDone={(message) => {
              setChangingPin(undefined);
              setNotice(message);
            }}
          />
        ) : disputing ? (
          <DisputeForm
            account={disputing.account}
            payment={disputing.payment}
            onDone={(message) => {
              setDisputing(undefined);
              setNotice(message);
            }}
          />
        ) : moneyOf ? (
          <MoneyView account={moneyOf} onClose={() => setMoneyOf(undefined)} onNotice={setNotice} />
        ) : allowancesOf ? (
          <AllowancesView account={allowancesOf} onClose={() => setAllowancesOf(undefined)} onNotice={setNotice} />
        ) : adding || accounts.length === 0 ? (
          <EnrollForm
            device={device}
            onEnrolled={(account) => {
              setAdding(false);
              setNotice(`This phone now confirms payments for ${account.displayName ?? account.account}.`);
              reload();
            }}
            {...(accounts.length > 0 ? { onCancel: () => setAdding(false) } : {})}
          />
        ) : (
          <>
            <section aria-labelledby="requests-title">
              <h2 id="requests-title">Payment requests</h2>
              {/* Announced when a request arrives or leaves, for those who do not see the list change. */}
              <p class={open.length === 0 ? 'empty' : 'visually-hidden'} aria-live="polite">
                {open.length === 0
                  ? 'No payment is waiting for you.'
                  : `${open.length} ${open.length === 1 ? 'payment is' : 'payments are'} waiting for you.`}
              </p>
              {open.length > 0 && (
                <ul class="list">
                  {open.map(({ account, request }) => (
                    <li key={request.id} class="card request">
                      <RequestSummary request={request} now={now} />
                      {accounts.length > 1 && <p class="hint">For {account.displayName ?? account.account}</p>}
                      <div class="actions">
                        <button type="button" class="secondary" disabled={busy} onClick={() => answer({ account, request })}>
                          Decline
                        </button>
                        {/* Under the customer's tap threshold the server asks for no PIN: one tap approves. */}
                        {request.approval === 'tap' ? (
                          <button type="button" class="primary" disabled={busy} onClick={() => answer({ account, request }, {})}>
                            Approve
                          </button>
                        ) : (
                          <button type="button" class="primary" disabled={busy} onClick={() => setAnswering({ account, request })}>
                            Approve…
                          </button>
                        )}
                      </div>
                    </li>
                  ))}
                </ul>
              )}
            </section>

            <section aria-labelledby="accounts-title">
              <h2 id="accounts-title">Accounts</h2>
              <ul class="list">
                {accounts.map((account) => {
                  const connection = connections[account.deviceId] ?? 'connecting';
                  return (
                    <li key={account.deviceId} class="card account">
                      <p class="account-name">{account.displayName ?? account.account}</p>
                      <p class="hint">
                        {hostOf(account.server)} · <span class={`status ${connection}`}>{CONNECTION_TEXT[connection]}</span>
                      </p>
                      {removing === account.deviceId ? (
                        <div class="actions">
                          <button type="button" class="secondary" onClick={() => setRemoving(undefined)}>
                            Keep
                          </button>
                          <button type="button" class="danger" onClick={() => remove(account)}>
                            Remove from this phone
                          </button>
                        </div>
                      ) : (
                        <div class="links">
                          <button type="button" class="link" onClick={() => setMoneyOf(account)}>
                            My money
                          </button>
                          <button type="button" class="link" onClick={() => setAllowancesOf(account)}>
                            Allowances
                          </button>
                          <button type="button" class="link" onClick={() => setChangingPin(account)}>
                            Change PIN…
                          </button>
                          <button type="button" class="link" onClick={() => setRemoving(account.deviceId)}>
                            Remove…
                          </button>
                        </div>
                      )}
                    </li>
                  );
                })}
              </ul>
              <button type="button" class="secondary wide" onClick={() => setAdding(true)}>
                Add an account
              </button>
            </section>

            <section aria-labelledby="history-title">
              <h2 id="history-title">History</h2>
              {history.length === 0 ? (
                <p class="empty">Requests you answer on this phone appear here.</p>
              ) : (
                <ul class="list history">
                  {history.map((entry) => {
                    const paid = entry.result?.status === 'paid' ? entry.result.paymentId : undefined;
                    const account = paid && accounts.find((held) => held.account === entry.account);
                    return (
                      <li key={entry.id}>
                        <span>
                          {entry.payee}
                          <br />
                          <small>{new Date(entry.at).toLocaleString()}</small>
                          {account && paid ? (
                            <>
                              <br />
                              <button type="button" class="link" onClick={() => setDisputing({ account, payment: paid })}>
                                Report a problem
                              </button>
                            </>
                          ) : null}
                        </span>
                        <span class={`outcome ${outcomeClass(entry)}`}>
                          {amountText(entry.amount, entry.currency)}
                          <br />
                          <small>{outcomeText(entry)}</small>
                        </span>
                      </li>
                    );
                  })}
                </ul>
              )}
            </section>
          </>
        )}
      </main>
    </>
  );
}
