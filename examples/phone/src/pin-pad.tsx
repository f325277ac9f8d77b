import { useEffect, useRef, useState } from 'preact/hooks';

const MAX_DIGITS = 12;
const MIN_DIGITS = 4;
const DIGITS = ['1', '2', '3', '4', '5', '6', '7', '8', '9'];

export interface PinPadProps {
  /** What the OK button says ("Approve €12.90"). */
  submitLabel: string;
  busy: boolean;
  /** The error to announce ("Wrong PIN, 3 attempts left."); each new one clears the digits. */
  error?: { message: string };
  onSubmit(pin: string): void;
  onCancel(): void;
}

/**
 * A PIN pad of real buttons that also takes the keyboard: digits, Backspace, Enter and
 * Escape. The digits are never shown, never stored, and dropped after each try.
 */
export function PinPad({ submitLabel, busy, error, onSubmit, onCancel }: PinPadProps) {
  const [pin, setPin] = useState('');
  const region = useRef<HTMLFieldSetElement>(null);
  // Keys can come faster than Preact re-renders and re-runs effects: the listener reads
  // the latest digits and props from here, never from a stale closure.
  const latest = useRef({ pin, busy, onSubmit, onCancel });
  latest.current = { ...latest.current, busy, onSubmit, onCancel };

  const change = (next: (old: string) => string) => {
    latest.current.pin = next(latest.current.pin);
    setPin(latest.current.pin);
  };
  const press = (digit: string) => change((old) => (old.length < MAX_DIGITS ? old + digit : old));
  const erase = () => change((old) => old.slice(0, -1));
  const submit = () => {
    const { pin: digits, busy: checking } = latest.current;
    if (digits.length >= MIN_DIGITS && !checking) latest.current.onSubmit(digits);
  };

  useEffect(() => change(() => ''), [error]);
  useEffect(() => region.current?.focus(), []);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (latest.current.busy || event.altKey || event.ctrlKey || event.metaKey) return;
      if (/^[0-9]$/.test(event.key)) press(event.key);
      else if (event.key === 'Backspace') erase();
      else if (event.key === 'Enter' && !(event.target instanceof HTMLButtonElement)) submit();
      else if (event.key === 'Escape') latest.current.onCancel();
      else return;
      event.preventDefault();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);

  return (
    <fieldset class="pin-pad" ref={region} tabIndex={-1}>
      <legend class="pin-label">Enter your PIN</legend>
      <div class="pin-dots" aria-hidden="true">
        {Array.from({ length: Math.max(MIN_DIGITS, pin.length) }, (_, i) => (
          <span key={i} class={i < pin.length ? 'dot filled' : 'dot'} />
        ))}
      </div>
      <p class="visually-hidden" aria-live="polite">
        {pin.length === 1 ? '1 digit entered' : `${pin.length} digits entered`}
      </p>
      <p class="error" role="alert">
        {error?.message ?? ''}
      </p>
      <div class="keys">
        {DIGITS.map((digit) => (
          <button type="button" key={digit} class="key" disabled={busy} onClick={() => press(digit)}>
            {digit}
          </button>
        ))}
        <button type="button" class="key key-small" disabled={busy || pin.length === 0} onClick={erase} aria-label="Delete last digit">
          ⌫
        </button>
        <button type="button" class="key" disabled={busy} onClick={() => press('0')}>
          0
        </button>
        <button type="button" class="key key-small" onClick={onCancel} disabled={busy}>
          Cancel
        </button>
      </div>
      <button type="button" class="primary wide" disabled={busy || pin.length < MIN_DIGITS} onClick={submit}>
        {busy ? 'Checking…' : submitLabel}
      </button>
    </fieldset>
  );
}
