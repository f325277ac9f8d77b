import { describe, expect, it } from 'vitest';
import { lossyNetwork } from './__fixtures__/lossy-network.js';
import { type ApiTestServer, serverPerSuite } from './__fixtures__/payment-server.js';
import { createMerchantClient, type MerchantClientOptions } from './client.js';

describe('merchant API client: decoupled payments (no browser)', { timeout: 30_000 }, () => {
  let shop: ApiTestServer;
  let options: MerchantClientOptions;
  serverPerSuite((started, clientOptions) => {
    shop = started;
    options = clientOptions;
  });

  it('sends a payment request once: the retry after a lost answer gets the first answer, not ticket_replayed', async () => {
    const network = lossyNetwork(1);
    const client = createMerchantClient({ ...options, fetch: network.fetch });
    const ticket = shop.ticket(700);

    // No customer has this number: the answer is a refusal, given once and then replayed.
    const answer = await client.payments.request({ ticket, phone: '+33699999999' });
    expect(answer).toMatchObject({ ticket: ticket.id, state: 'refused', refusal: expect.any(String) });
    expect(network.answers).toEqual([
      { status: 202, replayed: false },
      { status: 202, replayed: true },
    ]);
    expect(await createMerchantClient(options).payments.byTicket(ticket)).toMatchObject({ ticket: ticket.id, state: 'refused' });

    // The same ticket under a new key is a new request: the server has spent the ticket.
    await expect(createMerchantClient(options).payments.request({ ticket, phone: '+33699999999' })).rejects.toMatchObject({
      name: 'MerchantApiError',
      code: 'ticket_replayed',
    });
  });

  it('answers payment_unknown for a ticket it never received', async () => {
    await expect(createMerchantClient(options).payments.byTicket('never-sent')).rejects.toMatchObject({
      status: 404,
      code: 'payment_unknown',
    });
  });
});
