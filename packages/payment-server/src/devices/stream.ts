import type { ConfirmationService } from './confirmations.js';
import type { DeviceStreams } from './streams.js';

const encoder = new TextEncoder();

/**
 * The `text/event-stream` of one device (docs/device-api.md, "The stream"): the open
 * requests of its customer after `Last-Event-ID` (all without it), then new ones as they
 * are created on any instance, `closed`, `allowances` and `outcome` events, and a keep-alive comment every 15 s. It
 * subscribes before reading the backlog, so a request created in between is not lost;
 * a request is sent once per stream whichever way it arrives.
 */
export async function deviceStream(options: {
  customerId: string;
  deviceId: string;
  lastEventId: bigint | undefined;
  streams: DeviceStreams;
  confirmations: Pick<ConfirmationService, 'pending'>;
  db: Parameters<ConfirmationService['pending']>[0];
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}): Promise<Response> {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let ended = false;
  let unsubscribe: (() => void) | undefined;
  const sent = new Set<string>();

  const end = () => {
    if (ended) return;
    ended = true;
    unsubscribe?.();
    try {
      controller.close();
    } catch {
      // Already closed by the client.
    }
  };
  const write = (text: string) => {
    if (ended) return;
    try {
      controller.enqueue(encoder.encode(text));
    } catch {
      end();
    }
  };

  const sendRequest = (seq: bigint, request: { id: string }) => {
    if (sent.has(request.id)) return;
    sent.add(request.id);
    write(`id: ${seq}\nevent: request\ndata: ${JSON.stringify(request)}\n\n`);
  };

  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    cancel: end,
  });
  options.signal.addEventListener('abort', end, { once: true });

  unsubscribe = await options.streams.subscribe({
    customerId: options.customerId,
    deviceId: options.deviceId,
    request: ({ seq, request }) => sendRequest(seq, request),
    closed(id, state) {
      sent.delete(id);
      write(`event: closed\ndata: ${JSON.stringify({ id, state })}\n\n`);
    },
    // Names no allowance: the phone reads its list (`GET /device/allowances`), the one source of truth.
    allowances: () => write('event: allowances\ndata: {}\n\n'),
    // No event id: outcomes are not replayed on reconnection; a phone that missed one reads `GET /device/history`.
    outcome: (event) => write(`event: outcome\ndata: ${JSON.stringify(event)}\n\n`),
    end,
    ping: () => write(': keep-alive\n\n'),
  });
  if (ended) unsubscribe();
  write('retry: 5000\n\n');
  try {
    for (const pending of await options.confirmations.pending(options.db, options.customerId, options.lastEventId)) {
      sendRequest(pending.seq, pending.request);
    }
  } catch (error) {
    end();
    throw error;
  }

  return new Response(body, {
    headers: {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    },
  });
}
