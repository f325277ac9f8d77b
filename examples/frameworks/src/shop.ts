// The Caisse part of every shop in this folder, written once on web-standard Request and
// Response: each framework's file only mounts it. A real shop keeps its orders and tickets in
// its database; these keep them in memory.
import {
  createMerchant,
  createNotificationHandler,
  createReturnHandler,
  discoverPaymentServer,
  type TicketReference,
} from '@caisse/server-kit';

export interface ShopConfig {
  merchantId: string; // as registered with the payment server
  signingKey: Record<string, unknown>; // our private JWK, from `npx caisse keys new`
  paymentServerUrl: string;
}

/** One order. Paid once, however many times and ways we are told. */
export interface Order {
  serial: string;
  amount: number;
  /** The payment server's id of the payment, once we know it is paid. */
  paymentId?: string;
  /** Who told us it is paid: the browser, with a voucher; the payment server, with a notification. */
  paidBy: ('voucher' | 'notification')[];
}

/** The config from environment variables, however the runtime reads them. */
export function shopConfig(env: (name: string) => string | undefined): ShopConfig {
  const need = (name: string): string => {
    const value = env(name);
    if (value === undefined) throw new Error(`${name} is not set`);
    return value;
  };
  return {
    merchantId: need('CAISSE_MERCHANT_ID'),
    signingKey: JSON.parse(need('CAISSE_MERCHANT_KEY')),
    paymentServerUrl: need('CAISSE_PAYMENT_SERVER'),
  };
}

export type Shop = Awaited<ReturnType<typeof createShop>>;

export async function createShop(config: ShopConfig) {
  // 1. Trust: the payment server's issuer and keys, from its discovery document.
  const paymentServer = await discoverPaymentServer(config.paymentServerUrl);
  const merchant = createMerchant({ ...config, paymentServer });
  const orders = new Map<string, Order>();
  const tickets = new Map<string, TicketReference>();

  // 2. Checkout: a new order and its ticket, signed and bound to this browser (`state`, from
  //    `ensureState` in each framework's file). The page hands `ticket` to the widget.
  function checkout(shopUrl: string, state: string) {
    const serial = `order-${orders.size + 1}`;
    const ticket = merchant.createTicket({
      serial,
      currency: 'EUR',
      items: [{ id: 'petit-prince', label: 'Le Petit Prince', quantity: 1, unitAmount: 790, vatRate: 550 }],
      returnUrl: `${shopUrl}/caisse/return`,
      cancelUrl: `${shopUrl}/`,
      notifyUrl: `${shopUrl}/caisse/notify`,
      state,
    });
    tickets.set(ticket.id, ticket.reference);
    orders.set(serial, { serial, amount: ticket.claims.amount, paidBy: [] });
    return { serial, ticket: ticket.token, payEndpoint: paymentServer.payEndpoint };
  }

  function paid(serial: string, paymentId: string, by: Order['paidBy'][number]) {
    const order = orders.get(serial);
    if (order === undefined) return;
    order.paymentId ??= paymentId;
    if (!order.paidBy.includes(by)) order.paidBy.push(by);
  }

  // 3. Return: the browser brings the voucher; the handler verifies it against our ticket and
  //    this browser's state cookie, once, then sends the customer to the order.
  const returnHandler = createReturnHandler({
    merchant,
    findTicket: (id) => tickets.get(id),
    onPaid: (voucher) => {
      paid(voucher.serial, voucher.jti, 'voucher');
      return `/orders/${voucher.serial}`;
    },
  });

  // 4. Notifications: the same facts, server to server, in case the browser never comes back.
  const notificationHandler = createNotificationHandler({
    merchant,
    onNotification: (event) => {
      if (event.event === 'payment.authorised') paid(event.payment.serial, event.payment.id, 'notification');
    },
  });

  return {
    checkout,
    order: (serial: string | undefined) => (serial === undefined ? undefined : orders.get(serial)),
    returnHandler,
    notificationHandler,
  };
}
