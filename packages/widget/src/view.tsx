import { reasonKey, type Translator } from './messages.js';
import { formatMoney } from './money.js';
import type { TicketSummary } from './ticket.js';
import type { CheckoutState, VoucherSummary } from './types.js';

/** Everything the view shows; the controller owns it and renders after each change. */
export interface Model {
  state: CheckoutState;
  ticket?: TicketSummary | undefined;
  expanded?: boolean | undefined;
  /** Milliseconds left before the ticket (or the phone confirmation) expires. */
  remaining?: number | undefined;
  /** Quote mode: no ticket yet, the button asks the payment server for the price. */
  quote?: boolean | undefined;
  /** A result came back for this ticket: it cannot be paid again, only a new one can. */
  spent?: boolean | undefined;
  reason?: string | undefined;
  /** The error code; `config_invalid` is the merchant's to fix. */
  code?: string | undefined;
  retryable?: boolean | undefined;
  message?: string | undefined;
  voucher?: VoucherSummary | undefined;
  redirectTo?: string | undefined;
}

/** What the buttons do; those of the status line and the overlay are named after their text. */
export interface Actions {
  pay(): void;
  toggle(): void;
  showWindow(): void;
  cancel(): void;
  retry(): void;
  reload(): void;
}

/** The button can be pressed: nothing is under way and no result came back for this ticket. */
export const payable = ({ state, spent }: Model): boolean => (state === 'idle' || state === 'cancelled') && !spent;

/** m:ss, or h:mm:ss from an hour up. */
export function clock(milliseconds: number): string {
  const total = Math.max(0, Math.ceil(milliseconds / 1000));
  const time = `${Math.floor(total / 60) % 60}:${`${total % 60}`.padStart(2, '0')}`;
  return total < 3600 ? time : `${Math.floor(total / 3600)}:${time.padStart(5, '0')}`;
}

/** The sentence announced for a state (empty for `idle`). */
export function statusText({ state, voucher, ticket, reason, code, retryable }: Model, { t, locale }: Translator): string {
  const paid = voucher ?? ticket;
  if (state === 'idle') return '';
  if (state === 'refused') return t(state, { reason: t(reasonKey(reason)) });
  if (state === 'error') return t(code === 'config_invalid' ? 'setupError' : retryable ? 'error' : 'errorFinal');
  if (state !== 'paid') return t(state);
  // An allowance's voucher (`granted`) pays nothing yet: it grants the merchant up to its amount.
  return paid?.amount && voucher?.status !== 'authenticated'
    ? t(voucher?.status === 'granted' ? 'granted' : state, { amount: formatMoney(paid.amount, paid.currency, locale) })
    : t('authenticated');
}

/**
 * The button, its order number, time left and item list, the status line (a polite live
 * region), the actions each state offers, and the overlay while the payment window is open.
 */
export function View({ model, tr, actions }: { model: Model; tr: Translator; actions: Actions }) {
  const { t, locale } = tr;
  const { state, ticket, spent, retryable, expanded, quote } = model;
  const items = ticket?.items ?? [];
  const status = statusText(model, tr);
  const overlay = state === 'waiting' || state === 'confirming';
  const live = payable(model);
  const time =
    model.remaining !== undefined && (live || state === 'offline' || state === 'confirming')
      ? t('timeLeft', { time: clock(model.remaining) })
      : '';
  const setup = model.code === 'config_invalid';
  const button = (name: 'retry' | 'reload' | 'showWindow' | 'cancel', primary?: boolean) => (
    <button type="button" class={primary ? 'pay' : undefined} data-autofocus="" onClick={actions[name]}>
      {t(name)}
    </button>
  );
  return (
    <div>
      {(ticket || quote) && (
        <button type="button" class="pay" data-autofocus={live ? '' : undefined} disabled={!live} onClick={actions.pay}>
          {!ticket
            ? t('quote')
            : ticket.kind === 'authentication'
              ? t('authenticate')
              : t(ticket.kind === 'allowance' ? 'allow' : 'pay', { amount: formatMoney(ticket.amount, ticket.currency, locale) })}
        </button>
      )}
      {ticket && <p class="meta">{[t('serial', { serial: ticket.serial }), !overlay && time].filter(Boolean).join(' · ')}</p>}
      {items[0] && (
        <button type="button" class="link" aria-expanded={expanded ? 'true' : 'false'} aria-controls="items" onClick={actions.toggle}>
          {t('items', { count: items.length })}
        </button>
      )}
      <ul id="items" hidden={!expanded}>
        {items.map(({ quantity, label, unitAmount }, index) => (
          <li key={index}>
            <span>{t('item', { quantity, label })}</span>
            <span>{formatMoney(quantity * unitAmount, ticket?.currency as string, locale)}</span>
          </li>
        ))}
      </ul>
      <p
        role="status"
        aria-live="polite"
        tabindex={-1}
        data-tone={state === 'paid' ? 'good' : /^(ref|err|exp|off)/.test(state) ? 'bad' : undefined}
      >
        {status}
      </p>
      {state === 'error' && retryable && button('retry')}
      {(ticket || quote) &&
        (state === 'expired' || (spent && /^(refused|cancelled)$/.test(state)) || (state === 'error' && !retryable && !setup)) &&
        button('reload')}
      {overlay && (
        <div class="o">
          <div class="d" role="dialog" aria-modal="true" aria-labelledby="t" aria-describedby="s">
            <h2 id="t">{t('dialogTitle')}</h2>
            <p id="s">{`${status} ${time}`.trim()}</p>
            {button('showWindow', true)}
            {button('cancel')}
          </div>
        </div>
      )}
    </div>
  );
}
