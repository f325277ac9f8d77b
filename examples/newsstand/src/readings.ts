import { jsonFileReplayStore, openJsonFile } from '@caisse/example-store-support';
import type { TicketReference } from '@caisse/server-kit';

/**
 * The newsstand's records: the tickets signed (with the article and the reader they are
 * for), the articles each reader paid for, and the used voucher and notification ids.
 * A reader is a browser, known by the `state` of its Caisse cookie: no account needed.
 */
export interface Purchase extends Omit<PaymentFacts, 'ticketId'> {
  articleId: string;
  reader: string;
  paidAt: string;
}

/** What a voucher or a notification says of a payment. */
export interface PaymentFacts {
  ticketId: string;
  serial: string;
  paymentId: string;
  amount: number;
  currency: string;
}

interface IssuedTicket {
  reference: TicketReference;
  articleId: string;
  reader: string;
  issuedAt: number;
}

interface Records {
  tickets: Record<string, IssuedTicket>;
  purchases: Record<string, Purchase>;
  used: Record<string, number>;
}

/** Tickets live 15 minutes; their references are kept a little longer, then dropped. */
const TICKET_KEPT_MS = 60 * 60 * 1000;

/** @example const readings = await openReadings('.data/newsstand/readings.json'); readings.spentToday(state) */
export async function openReadings(file: string, now: () => Date = () => new Date()) {
  const records = await openJsonFile<Records>(file, () => ({ tickets: {}, purchases: {}, used: {} }));

  const replayStore = jsonFileReplayStore(records);

  const purchasesOf = (reader: string) =>
    Object.values(records.read().purchases)
      .filter((purchase) => purchase.reader === reader)
      .sort((a, b) => b.paidAt.localeCompare(a.paidAt));

  return {
    replayStore,
    findTicket: (id: string): TicketReference | undefined => records.read().tickets[id]?.reference,

    addTicket: (reference: TicketReference, articleId: string, reader: string) =>
      records.update((draft) => {
        const at = now().getTime();
        for (const [id, issued] of Object.entries(draft.tickets)) if (issued.issuedAt < at - TICKET_KEPT_MS) delete draft.tickets[id];
        draft.tickets[reference.id] = { reference, articleId, reader, issuedAt: at };
      }),

    /**
     * Unlocks the ticket's article for its reader, once, whether the voucher or the
     * notification comes first. Says `duplicate` for a payment of an article the reader
     * already had (bought from two tabs), which is not recorded.
     */
    recordPayment: (payment: PaymentFacts) =>
      records.update((draft): 'recorded' | 'known' | 'duplicate' | 'unknown' => {
        const issued = draft.tickets[payment.ticketId];
        if (draft.purchases[payment.serial]) return 'known';
        if (!issued) return 'unknown';
        const owned = Object.values(draft.purchases).some((p) => p.reader === issued.reader && p.articleId === issued.articleId);
        if (owned) return 'duplicate';
        draft.purchases[payment.serial] = { ...payment, articleId: issued.articleId, reader: issued.reader, paidAt: now().toISOString() };
        return 'recorded';
      }),

    hasRead: (reader: string, articleId: string) => purchasesOf(reader).some((purchase) => purchase.articleId === articleId),
    history: purchasesOf,
    /** What the reader paid since midnight (UTC). */
    spentToday: (reader: string) => {
      const today = now().toISOString().slice(0, 10);
      return purchasesOf(reader)
        .filter((purchase) => purchase.paidAt.startsWith(today))
        .reduce((sum, purchase) => sum + purchase.amount, 0);
    },
  };
}

export type Readings = Awaited<ReturnType<typeof openReadings>>;
