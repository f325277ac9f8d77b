/** A PIN input with its label: masked, numeric keyboard, at most 12 digits. */
export function PinField({
  id,
  label,
  value,
  onInput,
  autoComplete = 'new-password',
}: {
  id: string;
  label: string;
  value: string;
  onInput(value: string): void;
  autoComplete?: 'new-password' | 'current-password';
}) {
  return (
    <>
      <label for={id}>{label}</label>
      <input
        id={id}
        name={id}
        type="password"
        inputMode="numeric"
        autoComplete={autoComplete}
        required
        maxLength={12}
        value={value}
        onInput={(e) => onInput(e.currentTarget.value)}
      />
    </>
  );
}

/**
 * Why a new PIN typed twice cannot be sent yet, or `''`: caught before anything leaves
 * the phone (the sdk would refuse the format too, but only the form knows the two entries).
 */
export function newPinError(pin: string, again: string): string {
  if (!/^[0-9]{4,12}$/.test(pin)) return 'Choose a PIN of 4 to 12 digits.';
  if (pin !== again) return 'The two PINs differ. Type the same PIN twice.';
  return '';
}
