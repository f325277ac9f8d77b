/**
 * What phones' streams hear of, on every instance: sent with `notify` in the transaction
 * that made the change, so it arrives at commit and never for a rolled-back change. A
 * payload names rows, never carries secrets; a new request is read from its row (a
 * request with many items would not fit PostgreSQL's 8000-byte payload).
 */
export const DEVICE_EVENTS_CHANNEL = 'caisse_device_events';

export type DeviceEvent =
  /** A request was opened; `seq` as a decimal string (a bigint in JSON). */
  | { kind: 'request'; customerId: string; seq: string }
  | { kind: 'closed'; customerId: string; id: string; state: 'approved' | 'declined' | 'expired' | 'cancelled' }
  | { kind: 'revoked'; customerId: string; deviceId: string }
  /** One of the customer's session allowances was granted, ended or began a new period: their list is read again. */
  | { kind: 'allowances'; customerId: string }
  /**
   * The checkout of answered request `id` ended (paid, refused, cancelled): its outcome is
   * read from the rows (devices/history.ts). Sent by the session's move (checkout/sessions.ts).
   */
  | { kind: 'outcome'; customerId: string; id: string };

/** The event of a payload, or undefined for anything else (another version's, a hand-sent NOTIFY). */
export function parseDeviceEvent(payload: string): DeviceEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const event = value as Record<string, unknown>;
  if (typeof event.customerId !== 'string') return undefined;
  if (event.kind === 'request' && typeof event.seq === 'string' && /^\d{1,19}$/.test(event.seq)) return event as DeviceEvent;
  if (event.kind === 'closed' && typeof event.id === 'string' && typeof event.state === 'string') return event as DeviceEvent;
  if (event.kind === 'revoked' && typeof event.deviceId === 'string') return event as DeviceEvent;
  if (event.kind === 'allowances') return event as DeviceEvent;
  if (event.kind === 'outcome' && typeof event.id === 'string') return event as DeviceEvent;
  return undefined;
}
