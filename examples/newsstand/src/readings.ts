import { jsonFileReplayStore, openJsonFile } from '@caisse/example-store-support';
import type { TicketReference } from '@caisse/server-kit';

/**
 * The newsstand's records: the tickets signed (with the article and the reader they are
 * for), the articles each reader paid for, each reader's hour of reading, and the used
 * voucher and notification ids. A reader is a browser, known by the `state` of its Caisse
 * cookie: no account needed.
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

/**
 * An hour of reading: the session allowance the reader granted (its id, from the grant's
 * voucher), what is left of its maximum after the last article, and its end (seconds since
 * the epoch, as the voucher says).
 */
export interface Hour {
  id: string;
  remaining: number;
  currency: string;
  expiresAt: number;
}

interface IssuedTicket {
  reference: TicketReference;
  /** The article the ticket buys; none for the ticket asking for an hour of reading. */
  articleId?: string;
  reader: string;
  issuedAt: number;
}

interface Records {
  tickets: Record<string, IssuedTicket>;
  purchases: Record<string, Purchase>;
  used: Record<string, number>;
  /** Each reader's hour of reading, by reader; absent from files written before hours were sold. */
  hours?: Record<string, Hour>;
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

    /** A ticket signed for this reader: for an article, or (`articleId` undefined) for an hour of reading. */
    addTicket: (reference: TicketReference, articleId: string | undefined, reader: string) =>
      records.update((draft) => {
        const at = now().getTime();
        for (const [id, issued] of Object.entries(draft.tickets)) if (issued.issuedAt < at - TICKET_KEPT_MS) delete draft.tickets[id];
        draft.tickets[reference.id] = { reference, ...(articleId === undefined ? {} : { articleId }), reader, issuedAt: at };
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
        if (issued?.articleId === undefined) return 'unknown';
        const owned = Object.values(draft.purchases).some((p) => p.reader === issued.reader && p.articleId === issued.articleId);
        if (owned) return 'duplicate';
        draft.purchases[payment.serial] = { ...payment, articleId: issued.articleId, reader: issued.reader, paidAt: now().toISOString() };
        return 'recorded';
      }),

    /**
     * The hour of reading a granted ticket starts, for the reader the ticket was signed
     * for; it replaces the reader's previous hour, which it returns (to be closed).
     */
    startHour: (ticketId: string, hour: Hour) =>
      records.update((draft): { started: boolean; previous?: Hour } => {
        const issued = draft.tickets[ticketId];
        if (issued === undefined || issued.articleId !== undefined) return { started: false };
        draft.hours ??= {};
        const previous = draft.hours[issued.reader];
        draft.hours[issued.reader] = hour;
        return previous === undefined || previous.id === hour.id ? { started: true } : { started: true, previous };
      }),

    /** The reader's hour of reading while it lasts (by our clock: the payment server has the last word). */
    hourOf: (reader: string): Hour | undefined => {
      const hour = records.read().hours?.[reader];
      return hour && hour.expiresAt * 1000 > now().getTime() ? hour : undefined;
    },

    /** What is left of the hour after an article, as the charge's voucher says. */
    hourUsed: (reader: string, id: string, remaining: number) =>
      records.update((draft) => {
        const hour = draft.hours?.[reader];
        if (hour?.id === id) hour.remaining = remaining;
      }),

    /** The hour can no longer pay (used up, over, revoked…): the reader pays per article again. */
    endHour: (reader: string, id: string) =>
      records.update((draft) => {
        if (draft.hours?.[reader]?.id === id) delete draft.hours[reader];
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
