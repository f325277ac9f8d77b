import { setTimeout as sleep } from 'node:timers/promises';
import { createMerchant, createState, discoverPaymentServer } from '@caisse/server-kit';
import { createMerchantClient } from '@caisse/server-kit/client';

const key = JSON.parse(process.env.CAISSE_MERCHANT_KEY); // made by `npx caisse keys new`
const paymentServer = await discoverPaymentServer(process.env.CAISSE_SERVER);
const merchant = createMerchant({ merchantId: 'tea-shop', signingKey: key, paymentServer });
const client = createMerchantClient({ server: paymentServer, merchantId: 'tea-shop', key });
const items = [{ id: 'sencha', label: 'Sencha, 100 g', quantity: 1, unitAmount: 450, vatRate: 550 }];
const urls = { returnUrl: 'https://tea.example/paid', cancelUrl: 'https://tea.example/basket' };
const ticket = merchant.createTicket({ serial: `order-${Date.now()}`, currency: 'EUR', items, ...urls, state: createState() });
let payment = await client.payments.request({ ticket, phone: '+33611111111' }); // the customer confirms on the phone
while (payment.state !== 'paid' && payment.state !== 'refused') payment = await sleep(250).then(() => client.payments.byTicket(ticket));
// Deliver only once the voucher verifies: signed by the payment server, for this ticket, presented once.
console.log(JSON.stringify(await merchant.verifyVoucher(payment.voucher, { ticket: ticket.reference })));
