import type { ApiPayment, NotificationClaims } from '@caisse/protocol';
import { paymentId } from '@caisse/protocol';

/** A payment as the after-payment services (escrow, refunds, captures) see it; `repository.ts` reads it. */
export interface PaymentRecord {
  serial: bigint;
  merchantId: string;
  ticketJti: string;
  ticketSha256: string;
  orderSerial: string;
  customerId: string;
  amount: bigint;
  /** Of `amount`, what the customer paid with loyalty points (0n: none); `funding` paid the rest. */
  points: bigint;
  currency: string;
  funding: ApiPayment['funding'];
  status: ApiPayment['status'];
  createdAt: Date;
  /** The ticket's `notifyUrl`, when it had one: later events of the payment go there too. */
  notifyUrl: string | undefined;
}

/** The `payment` body of a notification about this payment, with its status now. */
export function paymentBody(
  payment: PaymentRecord,
  status: PaymentRecord['status'],
): Extract<NotificationClaims, { payment: unknown }>['payment'] {
  return {
    id: paymentId(payment.serial),
    ticket: { jti: payment.ticketJti, sha256: payment.ticketSha256 },
    serial: payment.orderSerial,
    amount: Number(payment.amount),
    currency: payment.currency,
    status,
    ...(payment.funding === null ? {} : { funding: payment.funding }),
    ...(payment.points > 0n ? { points: Number(payment.points) } : {}),
  };
}
