import { refusalWords } from '@caisse/example-store-support';
import type { Address, RefusalReason } from '@caisse/protocol';
import type { Book } from './catalogue.js';
import { esc, layout, money } from './html.js';
import { type Order, type OrderStatus, type ReceivedNotification, refunded } from './orders.js';

const STATUS: Record<OrderStatus, string> = {
  awaiting_payment: 'Awaiting payment',
  paid: 'Paid, being prepared',
  shipped: 'Shipped',
  delivered: 'Delivered',
  cancelled: 'Cancelled, money returned',
  refunded: 'Refunded',
};

/** What each status means for the customer, under the status on the order page. */
const EXPLAIN: Record<OrderStatus, (amount: string) => string> = {
  awaiting_payment: () => 'Pay below: you confirm on the Caisse payment page and on your phone.',
  paid: (amount) => `Thank you! Your payment of ${amount} is held by the payment server until your parcel arrives.`,
  shipped: () => 'Your parcel is on its way. The payment is released to us when it arrives.',
  delivered: () => 'Your parcel was delivered.',
  cancelled: (amount) => `The order was cancelled and the ${amount} held for it returned to you.`,
  refunded: (amount) => `${amount} was refunded to you.`,
};

const basketLink = (count: number) => `<a href="/basket">Basket (${count})</a>`;

export function cataloguePage(books: readonly Book[], basketCount: number): string {
  const cards = books
    .map(
      (book) => `<li class="card"><h2>${esc(book.title)}</h2><p class="muted">${esc(book.author)}</p>
<p class="price">${money(book.price, 'EUR')}</p>
<form method="post" action="/basket"><input type="hidden" name="book" value="${esc(book.id)}"><button type="submit">Add to basket</button></form></li>`,
    )
    .join('');
  return layout('Books', `<h1>Books</h1><ul class="cards">${cards}</ul>`, basketLink(basketCount));
}

export function basketPage(lines: { book: Book; quantity: number }[]): string {
  if (lines.length === 0)
    return layout('Basket', '<h1>Your basket</h1><p>Your basket is empty. <a href="/">See the books</a>.</p>', basketLink(0));
  const total = lines.reduce((sum, line) => sum + line.book.price * line.quantity, 0);
  const rows = lines
    .map(
      ({
        book,
        quantity,
      }) => `<tr><td>${esc(book.title)}</td><td>${quantity}</td><td class="amount">${money(book.price * quantity, 'EUR')}</td>
<td><form method="post" action="/basket"><input type="hidden" name="book" value="${esc(book.id)}"><input type="hidden" name="remove" value="1"><button class="link" type="submit">Remove</button></form></td></tr>`,
    )
    .join('');
  return layout(
    'Basket',
    `<h1>Your basket</h1><table><thead><tr><th>Book</th><th>Qty</th><th>Amount</th><th><span class="visually-hidden">Remove</span></th></tr></thead><tbody>${rows}</tbody>
<tfoot><tr><th colspan="2">Total (VAT included)</th><td class="amount">${money(total, 'EUR')}</td><td></td></tr></tfoot></table>
<form method="post" action="/checkout"><button class="primary" type="submit">Checkout</button></form>
<p class="muted">You pay on the Caisse payment page and confirm on your phone. We ask it for your shipping address; the money is held until your parcel arrives.</p>`,
    basketLink(lines.reduce((sum, line) => sum + line.quantity, 0)),
  );
}

function lineTable(order: Order): string {
  const rows = order.lines
    .map(
      (line) =>
        `<tr><td>${esc(line.label)}</td><td>${line.quantity}</td><td class="amount">${money(line.unitAmount * line.quantity, order.currency)}</td></tr>`,
    )
    .join('');
  return `<table><tbody>${rows}</tbody><tfoot><tr><th colspan="2">Total</th><td class="amount">${money(order.amount, order.currency)}</td></tr></tfoot></table>`;
}

export function addressLines(address: Address | undefined): string {
  if (!address) return '<span class="muted">not shared</span>';
  return [address.name, address.line1, address.line2, `${address.postalCode} ${address.city}`, address.region, address.country]
    .filter(Boolean)
    .map(esc)
    .join('<br>');
}

/**
 * The order page, where our return handler sends the customer back from the payment
 * server: paid, it says so (the handler verified the voucher before); unpaid, the widget
 * with a fresh ticket and, after a refusal, why in words.
 */
export function orderPage(order: Order, pay: { ticket: string; server: string } | undefined, refused?: RefusalReason): string {
  let payment = '';
  if (pay) {
    const why = refused
      ? `<p class="notice" role="alert" id="refusal">Payment refused. ${refusalWords(refused, 'our shop')} Nothing was charged: you can pay again.</p>`
      : '';
    payment = `${why}<caisse-checkout ticket="${esc(pay.ticket)}" server="${esc(pay.server)}" verify-url="/caisse/return" lang="en"></caisse-checkout>`;
  }
  const address = order.shippingAddress ? `<h2>Shipping to</h2><p>${addressLines(order.shippingAddress)}</p>` : '';
  const history = order.history
    .map((entry) => `<li><time>${esc(entry.at.slice(0, 19).replace('T', ' '))}</time> ${esc(entry.what)}</li>`)
    .join('');
  return layout(
    `Order ${order.serial}`,
    `<h1>Order ${esc(order.serial)}</h1><p class="status status-${order.status}" id="order-status">${STATUS[order.status]}</p>
<p>${EXPLAIN[order.status](money(order.amount, order.currency))}</p>
${lineTable(order)}${payment}${address}<h2>History</h2><ul class="history">${history}</ul>`,
    '<a href="/">Books</a>',
  );
}

const ACTIONS: Partial<Record<OrderStatus, [string, string][]>> = {
  paid: [
    ['ship', 'Mark shipped'],
    ['cancel', 'Cancel'],
  ],
  shipped: [
    ['deliver', 'Mark delivered'],
    ['cancel', 'Cancel'],
  ],
  delivered: [['refund', 'Refund']],
};

/** The payment column: a refund leaves the payment `released`, so what was given back is shown instead. */
function paymentText(order: Order): string {
  const back = refunded(order);
  if (back === 0) return esc(order.paymentStatus ?? '—');
  return back >= order.amount ? 'refunded' : `partly refunded (${money(back, order.currency)})`;
}

export function adminPage(orders: Order[], notifications: ReceivedNotification[], message?: string): string {
  const rows = orders
    .map((order) => {
      const actions = (ACTIONS[order.status] ?? [])
        .map(
          ([action, label]) =>
            `<form method="post" action="/admin/orders/${esc(order.serial)}/${action}"><button type="submit" class="${action === 'deliver' || action === 'ship' ? '' : 'danger'}">${label}</button></form>`,
        )
        .join('');
      return `<tr id="order-${esc(order.serial)}"><td>${esc(order.serial)}</td>
<td>${order.lines.map((line) => `${line.quantity} × ${esc(line.label)}`).join('<br>')}</td>
<td class="amount">${money(order.amount, order.currency)}</td><td class="status">${STATUS[order.status]}</td>
<td class="payment">${paymentText(order)}</td><td>${order.status === 'awaiting_payment' ? '' : addressLines(order.shippingAddress)}</td><td class="actions">${actions}</td></tr>`;
    })
    .join('');
  const received = notifications
    .map(
      (n) =>
        `<tr><td><time>${esc(n.receivedAt.slice(0, 19).replace('T', ' '))}</time></td><td><code>${esc(n.event)}</code></td><td>${esc(n.orderSerial)}</td><td><code>${esc(n.id)}</code></td></tr>`,
    )
    .join('');
  return layout(
    'Admin',
    `<h1>Orders</h1>${message ? `<p class="notice" role="status">${esc(message)}</p>` : ''}
<table class="admin"><thead><tr><th>Order</th><th>Books</th><th>Amount</th><th>Status</th><th>Payment</th><th>Ship to</th><th><span class="visually-hidden">Actions</span></th></tr></thead><tbody>${rows || '<tr><td colspan="7">No orders yet.</td></tr>'}</tbody></table>
<p class="muted">The payment is <em>held</em> by the payment server until you mark the order delivered: then it is <em>released</em> to your till. Cancelling before delivery gives the held money back to the customer; after delivery, a refund does.</p>
<h2>Notifications received</h2><table id="notifications"><thead><tr><th>Received</th><th>Event</th><th>Order</th><th>Id</th></tr></thead><tbody>${received || '<tr><td colspan="4">None yet.</td></tr>'}</tbody></table>`,
    '<a href="/">Shop</a>',
  );
}
