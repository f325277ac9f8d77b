import { jsonFileReplayStore, openJsonFile } from '@caisse/example-store-support';
import { type Address, formatMoney } from '@caisse/protocol';
import type { Notification, TicketReference } from '@caisse/server-kit';

/**
 * The shop's own records: orders, the tickets signed for them, the notifications received
 * and the used voucher and notification ids. One JSON file, so that the demo keeps its
 * orders across restarts without a database server; a real shop keeps the same records
 * in its own database.
 */
export type OrderStatus = 'awaiting_payment' | 'paid' | 'shipped' | 'delivered' | 'cancelled' | 'refunded';

/** Shaped like a ticket item, so that the order's lines are the ticket's. */
export interface OrderLine {
  id: string;
  label: string;
  quantity: number;
  unitAmount: number;
  /** Basis points: 550 is 5.5 %. */
  vatRate: number;
}

export interface Order {
  serial: string;
  lines: OrderLine[];
  amount: number;
  currency: string;
  status: OrderStatus;
  createdAt: string;
  /** The placing browser's `state` (the hash of its cookie secret): only that browser sees the order page. */
  owner: string;
  /** Register serial of the payment (the voucher's `jti`): the merchant API names the payment by it. */
  paymentId?: string;
  paidAt?: string;
  /** `held` until delivery for this shop (deferred fulfilment), then `released` or `voided`; a refund leaves it as it is. */
  paymentStatus?: string;
  /** The payment's refunds that succeeded, minor units by refund id: a refund told twice (answer, notification) counts once. */
  refunds?: Record<string, number>;
  shippingAddress?: Address;
  history: { at: string; what: string }[];
}

/** What a voucher or a notification says of a payment. */
export interface PaymentFacts {
  /** The payment id, `pay_…` (the voucher's `jti`). */
  id: string;
  status: string;
  shippingAddress?: Address | undefined;
}

/** A refund of an order's payment, as its `refund.succeeded` notification or the merchant API's answer says it. */
export interface RefundFacts {
  id: string;
  amount: number;
  currency: string;
  /** Given by the merchant API's answer: only `succeeded` counts (a bank's refund is `pending` until its notification). */
  status?: string;
}

export interface ReceivedNotification {
  id: string;
  event: string;
  orderSerial: string;
  receivedAt: string;
}

interface Records {
  nextOrder: number;
  orders: Record<string, Order>;
  tickets: Record<string, TicketReference & { issuedAt: number }>;
  notifications: ReceivedNotification[];
  /** Replay-store keys and their expiry, milliseconds since the epoch. */
  used: Record<string, number>;
}

/** What was given back of the order's payment so far, minor units. */
export function refunded(order: Order): number {
  return Object.values(order.refunds ?? {}).reduce((sum, amount) => sum + amount, 0);
}

const NOTIFICATIONS_KEPT = 200;

/** Whether a held payment was resolved: released to us or voided back to the customer; nothing follows either. */
function isSettled(status: string | undefined): boolean {
  return status === 'released' || status === 'voided';
}
const TICKET_KEPT_MS = 60 * 60 * 1000;

/** @example const orders = await openOrderBook('.data/bookshop/orders.json'); const order = await orders.create(lines, 'EUR', state) */
export async function openOrderBook(file: string) {
  const records = await openJsonFile<Records>(file, () => ({ nextOrder: 1, orders: {}, tickets: {}, notifications: [], used: {} }));
  const now = () => new Date().toISOString();

  /** Changes one order; an unknown serial (a payment made elsewhere) changes nothing. */
  function change(serial: string, apply: (order: Order) => string | undefined) {
    return records.update((draft) => {
      const order = draft.orders[serial];
      if (!order) return undefined;
      const what = apply(order);
      if (what) order.history.push({ at: now(), what });
      return order;
    });
  }

  const replayStore = jsonFileReplayStore(records);

  return {
    replayStore,
    get: (serial: string): Order | undefined => records.read().orders[serial],
    list: (): Order[] => Object.values(records.read().orders).reverse(),
    notifications: (): ReceivedNotification[] => [...records.read().notifications].reverse(),
    findTicket: (id: string): TicketReference | undefined => records.read().tickets[id],

    create: (lines: OrderLine[], currency: string, owner: string) =>
      records.update((draft) => {
        const serial = `B-${String(draft.nextOrder++).padStart(4, '0')}`;
        const amount = lines.reduce((sum, line) => sum + line.unitAmount * line.quantity, 0);
        const order: Order = { serial, lines, amount, currency, status: 'awaiting_payment', createdAt: now(), owner, history: [] };
        order.history.push({ at: order.createdAt, what: 'order placed' });
        draft.orders[serial] = order;
        return order;
      }),

    /** Each view of an unpaid order signs a ticket; references outlive their tickets (15 min) by a margin, then go. */
    addTicket: (reference: TicketReference) =>
      records.update((draft) => {
        const at = Date.now();
        for (const [id, ticket] of Object.entries(draft.tickets)) if (ticket.issuedAt < at - TICKET_KEPT_MS) delete draft.tickets[id];
        draft.tickets[reference.id] = { ...reference, issuedAt: at };
      }),

    /**
     * Records what the payment server says of the order's payment. The first voucher or
     * notification of money taken makes the order paid; later ones only update the
     * payment's status (held, released, voided).
     */
    recordPayment: (serial: string, payment: PaymentFacts) =>
      change(serial, (order) => {
        if (order.paymentId === payment.id) {
          // Notifications may arrive in any order: a late `payment.held` never undoes a release or a void.
          if (!isSettled(order.paymentStatus) || isSettled(payment.status)) order.paymentStatus = payment.status;
          // The notification may arrive before the customer's browser: only the voucher carries the address.
          if (payment.shippingAddress && !order.shippingAddress) order.shippingAddress = payment.shippingAddress;
        }
        if (order.status !== 'awaiting_payment' || !['held', 'authorised'].includes(payment.status)) return undefined;
        order.status = 'paid';
        order.paymentId = payment.id;
        order.paymentStatus = payment.status;
        order.paidAt = now();
        if (payment.shippingAddress) order.shippingAddress = payment.shippingAddress;
        return `paid, payment ${payment.id} ${payment.status}`;
      }),

    /** Records a refund of the order's payment that succeeded, once; refunded in full, the order is refunded. */
    recordRefund: (serial: string, paymentId: string, refund: RefundFacts) =>
      change(serial, (order) => {
        if (order.paymentId !== paymentId || (refund.status ?? 'succeeded') !== 'succeeded') return undefined;
        if (order.refunds?.[refund.id] !== undefined) return undefined;
        order.refunds = { ...order.refunds, [refund.id]: refund.amount };
        if (refunded(order) >= order.amount) order.status = 'refunded';
        return `refund ${refund.id}: ${formatMoney(refund, 'en-GB')} back to the customer`;
      }),

    setStatus: (serial: string, status: OrderStatus, what: string) =>
      change(serial, (order) => {
        order.status = status;
        return what;
      }),

    recordNotification: (notification: Notification) =>
      records.update((draft) => {
        const orderSerial =
          'payment' in notification ? notification.payment.serial : 'refusal' in notification ? notification.refusal.serial : '';
        draft.notifications.push({ id: notification.jti, event: notification.event, orderSerial, receivedAt: now() });
        draft.notifications.splice(0, Math.max(0, draft.notifications.length - NOTIFICATIONS_KEPT));
      }),
  };
}

export type OrderBook = Awaited<ReturnType<typeof openOrderBook>>;
