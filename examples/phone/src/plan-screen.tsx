import { type Account, type AccountPlan, isCaisseDeviceError, type PlanChange } from '@caisse/sdk';
import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from './errors.js';
import { nameOf } from './format.js';
import { PinPad } from './pin-pad.js';
import {
  type AmountField,
  boundText,
  changeLines,
  draftOf,
  MEANS_ORDERS,
  type PlanDraft,
  type PlanErrors,
  planChangeOf,
  refusedFields,
} from './plan-form.js';

const CHECK_FIELDS = 'Some values cannot be saved. Check the fields marked.';

/** An amount in major units, with the operator's bound (or what empty means) under it and its own error. */
function AmountInput({
  id,
  label,
  hint,
  value,
  error,
  onInput,
}: {
  id: AmountField;
  label: string;
  hint: string;
  value: string;
  error: string | undefined;
  onInput(value: string): void;
}) {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      <input
        id={id}
        name={id}
        type="text"
        inputMode="decimal"
        autoComplete="off"
        value={value}
        aria-invalid={error ? 'true' : undefined}
        aria-describedby={`${id}-hint ${id}-error`}
        onInput={(event) => onInput(event.currentTarget.value)}
      />
      <p class="hint" id={`${id}-hint`}>
        {hint}
      </p>
      <p class="error" id={`${id}-error`}>
        {error ?? ''}
      </p>
    </div>
  );
}

/**
 * The account's payment plan in one currency: the order of means, the wallet's upper
 * amount, the bank when the wallet is short, the tap threshold and the customer's own
 * ceilings, each amount with the operator's bound. Checked against the bounds here, then
 * saved with the PIN (a proof made on the phone; the PIN never leaves it).
 */
export function PlanScreen({ account, currency, onDone }: { account: Account; currency: string; onDone(message: string): void }) {
  const [current, setCurrent] = useState<AccountPlan | undefined>(undefined);
  const [initial, setInitial] = useState<PlanDraft | undefined>(undefined);
  const [draft, setDraft] = useState<PlanDraft | undefined>(undefined);
  const [errors, setErrors] = useState<PlanErrors>({});
  const [alert, setAlert] = useState('');
  const [saving, setSaving] = useState<PlanChange | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [pinError, setPinError] = useState<{ message: string } | undefined>(undefined);
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    const controller = new AbortController();
    account
      .plan(currency, { signal: controller.signal })
      .then((plan) => {
        setCurrent(plan);
        setInitial(draftOf(plan));
        setDraft(draftOf(plan));
      })
      .catch((error: unknown) => {
        if (controller.signal.aborted) return;
        if (!isCaisseDeviceError(error)) throw error;
        setAlert(errorText(error));
      });
    return () => controller.abort();
  }, [account, currency]);

  // Back from the PIN pad (or loaded), the customer lands on the form's title, not at the top of the page.
  useEffect(() => heading.current?.focus(), [saving === undefined, current === undefined]);

  const showErrors = (found: PlanErrors) => {
    setErrors(found);
    setAlert(CHECK_FIELDS);
    const first = (Object.keys(found) as AmountField[])[0];
    if (first) requestAnimationFrame(() => document.getElementById(first)?.focus());
  };

  const review = (event: Event) => {
    event.preventDefault();
    if (!draft || !initial || !current) return;
    const { change, errors: found } = planChangeOf(draft, initial, current);
    if (Object.keys(found).length > 0) return showErrors(found);
    setErrors({});
    if (Object.keys(change).length === 0) return setAlert('Nothing to save: you changed nothing.');
    setAlert('');
    setSaving(change);
  };

  const save = async (change: PlanChange, pin: string) => {
    setBusy(true);
    try {
      await account.setPlan(currency, change, pin);
      onDone(`Your payment plan in ${currency} is saved.`);
    } catch (error) {
      if (!isCaisseDeviceError(error)) throw error;
      setBusy(false);
      if (error.code === 'pin_invalid') return setPinError({ message: errorText(error) });
      setSaving(undefined);
      setPinError(undefined);
      if ((error.code === 'plan_out_of_bounds' || error.code === 'plan_invalid') && draft && initial && current) {
        // The operator may have lowered a bound since the form opened: the bounds shown must be the ones that hold.
        const fresh = await account.plan(currency).catch(() => current);
        setCurrent(fresh);
        return showErrors(refusedFields(error.issues ?? [], draft, initial, fresh));
      }
      setAlert(errorText(error));
    }
  };

  if (!current || !draft) {
    return (
      <section class="card" aria-labelledby="plan-title" aria-busy={alert === ''}>
        <h2 id="plan-title" ref={heading} tabIndex={-1}>
          Payment plan in {currency}
        </h2>
        <p class="error" role="alert">
          {alert}
        </p>
        <button type="button" class="secondary wide" onClick={() => onDone('')}>
          Back
        </button>
      </section>
    );
  }

  if (saving) {
    return (
      <section class="card" aria-labelledby="plan-pin-title">
        <h2 id="plan-pin-title">Save this payment plan?</h2>
        <ul class="changes">
          {changeLines(saving, current).map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
        <PinPad
          submitLabel="Save the plan"
          busy={busy}
          {...(pinError ? { error: pinError } : {})}
          onSubmit={(pin) => save(saving, pin)}
          onCancel={() => {
            setSaving(undefined);
            setPinError(undefined);
          }}
        />
      </section>
    );
  }

  const { bounds } = current;
  const edit = (field: keyof PlanDraft) => (value: string | boolean) => setDraft({ ...draft, [field]: value });
  const ceilingHint = (field: 'dailyCeiling' | 'monthlyCeiling') =>
    `${boundText(field, current)} Leave it empty to follow your operator's.`;

  return (
    <form class="card plan" onSubmit={review} aria-labelledby="plan-title" noValidate>
      <h2 id="plan-title" ref={heading} tabIndex={-1}>
        Payment plan in {currency}
      </h2>
      <p class="hint">
        {nameOf(account)} · {current.chosen ? 'your own plan' : "your operator's default plan"}
      </p>
      <fieldset class="choices">
        <legend>Which means pay, in which order</legend>
        {Object.entries(MEANS_ORDERS).map(([value, label]) => (
          <label key={value} class="choice">
            <input type="radio" name="means" value={value} checked={draft.means === value} onChange={() => edit('means')(value)} />
            {label}
          </label>
        ))}
      </fieldset>
      <AmountInput
        id="walletBelow"
        label={`The wallet pays amounts below (${currency})`}
        hint={boundText('walletBelow', current)}
        value={draft.walletBelow}
        error={errors.walletBelow}
        onInput={edit('walletBelow')}
      />
      <label class="choice">
        <input
          type="checkbox"
          name="bankWhenShort"
          checked={draft.bankWhenShort}
          onChange={(event) => edit('bankWhenShort')(event.currentTarget.checked)}
        />
        When the wallet is short, the bank pays
      </label>
      <AmountInput
        id="tapBelow"
        label={`Approve with a tap, without the PIN, below (${currency})`}
        hint={bounds.tapLimit === 0 ? 'Your operator does not allow taps: keep 0.' : `${boundText('tapBelow', current)} 0: always the PIN.`}
        value={draft.tapBelow}
        error={errors.tapBelow}
        onInput={edit('tapBelow')}
      />
      <AmountInput
        id="dailyCeiling"
        label={`Your daily ceiling (${currency})`}
        hint={ceilingHint('dailyCeiling')}
        value={draft.dailyCeiling}
        error={errors.dailyCeiling}
        onInput={edit('dailyCeiling')}
      />
      <AmountInput
        id="monthlyCeiling"
        label={`Your monthly ceiling (${currency})`}
        hint={ceilingHint('monthlyCeiling')}
        value={draft.monthlyCeiling}
        error={errors.monthlyCeiling}
        onInput={edit('monthlyCeiling')}
      />
      <p class="error" role="alert">
        {alert}
      </p>
      <button type="submit" class="primary wide">
        Save…
      </button>
      <button type="button" class="secondary wide" onClick={() => onDone('')}>
        Cancel
      </button>
    </form>
  );
}
