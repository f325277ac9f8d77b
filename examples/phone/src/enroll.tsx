import { type Account, type Device, isCaisseDeviceError } from '@caisse/sdk';
import { useState } from 'preact/hooks';
import { errorText } from './errors.js';
import { newPinError, PinField } from './pin-field.js';

const LAST_SERVER = 'caisse-phone-server';

function defaultServer(): string {
  return new URLSearchParams(location.search).get('server') ?? localStorage.getItem(LAST_SERVER) ?? '';
}

/** Server URL, the one-time code the customer received, and a new PIN typed twice. */
export function EnrollForm({
  device,
  onEnrolled,
  onCancel,
}: {
  device: Device;
  onEnrolled(account: Account): void;
  onCancel?: () => void;
}) {
  const [server, setServer] = useState(defaultServer);
  const [code, setCode] = useState('');
  const [pin, setPin] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (event: Event) => {
    event.preventDefault();
    const problem = newPinError(pin, again);
    if (problem) return setError(problem);
    setBusy(true);
    setError('');
    try {
      const account = await device.enroll({ server, code, pin, name: 'Phone app' });
      localStorage.setItem(LAST_SERVER, server);
      onEnrolled(account);
    } catch (caught) {
      if (!isCaisseDeviceError(caught)) throw caught;
      setError(errorText(caught));
      setBusy(false);
    } finally {
      setPin('');
      setAgain('');
    }
  };

  return (
    <form class="card enroll" onSubmit={submit} aria-labelledby="enroll-title" noValidate>
      <h2 id="enroll-title">Add an account</h2>
      <p class="hint">Your payment operator sent you a one-time code. It is valid for 10 minutes.</p>
      <label for="server">Payment server</label>
      <input
        id="server"
        name="server"
        type="url"
        required
        autoComplete="url"
        value={server}
        onInput={(e) => setServer(e.currentTarget.value)}
      />
      <label for="code">One-time code (12 digits)</label>
      <input
        id="code"
        name="code"
        required
        autoComplete="one-time-code"
        inputMode="numeric"
        autoCapitalize="off"
        spellcheck={false}
        value={code}
        onInput={(e) => setCode(e.currentTarget.value)}
      />
      <PinField id="pin" label="New PIN (4 to 12 digits)" value={pin} onInput={setPin} />
      <PinField id="pin-again" label="Type the PIN again" value={again} onInput={setAgain} />
      <p class="hint">Your PIN never leaves this phone and is never stored. Five wrong PINs lock your account.</p>
      <p class="error" role="alert">
        {error}
      </p>
      <button type="submit" class="primary wide" disabled={busy}>
        {busy ? 'Adding…' : 'Add this account'}
      </button>
      {onCancel && (
        <button type="button" class="secondary wide" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      )}
    </form>
  );
}
