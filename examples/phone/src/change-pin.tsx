import { type Account, isCaisseDeviceError } from '@caisse/sdk';
import { useState } from 'preact/hooks';
import { errorText } from './errors.js';
import { newPinError, PinField } from './pin-field.js';

/** The current PIN (a wrong one counts towards the lock, as at approval) and a new one typed twice. */
export function ChangePinForm({ account, onDone }: { account: Account; onDone(message: string): void }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const problem = newPinError(next, again);
    if (problem) return setError(problem);
    setBusy(true);
    setError('');
    try {
      await account.changePin(current, next);
      onDone('Your PIN is changed.');
    } catch (caught) {
      if (!isCaisseDeviceError(caught)) throw caught;
      setError(errorText(caught));
      setBusy(false);
    } finally {
      setCurrent('');
      setNext('');
      setAgain('');
    }
  };

  return (
    <form class="card" onSubmit={submit} aria-labelledby="change-pin-title" noValidate>
      <h2 id="change-pin-title">Change the PIN of {account.displayName ?? account.account}</h2>
      <PinField id="current-pin" label="Current PIN" value={current} onInput={setCurrent} autoComplete="current-password" />
      <PinField id="new-pin" label="New PIN (4 to 12 digits)" value={next} onInput={setNext} />
      <PinField id="new-pin-again" label="Type the new PIN again" value={again} onInput={setAgain} />
      <p class="error" role="alert">
        {error}
      </p>
      <button type="submit" class="primary wide" disabled={busy}>
        {busy ? 'Changing…' : 'Change PIN'}
      </button>
      <button type="button" class="secondary wide" onClick={() => onDone('')} disabled={busy}>
        Cancel
      </button>
    </form>
  );
}
