/** One dispatched server-sent event. */
export interface SseEvent {
  /** The `event` field, `message` when absent. */
  type: string;
  data: string;
  /** The last event id seen on this stream so far (it carries over events without `id`). */
  lastEventId: string;
}

export interface SseParser {
  /** Feeds decoded text; complete events are handed to `onEvent` as their blank line arrives. */
  push(text: string): void;
  /** The last event id, to send as `Last-Event-ID` on reconnection. */
  readonly lastEventId: string;
  /** The reconnection time the server asked for with `retry:`, in ms. */
  readonly retry: number | undefined;
}

/**
 * The event stream interpretation of the HTML standard (§9.2.6), so this SDK reads a
 * stream exactly as `EventSource` would (which it cannot use: `EventSource` sends no
 * `Authorization` header). Lines end with CRLF, LF or CR, even split across chunks; a
 * line starting with `:` is a comment; `data` lines join with LF; an event without data
 * is not dispatched; an `id` containing NUL is ignored; `retry` takes digits only; an
 * event not ended by a blank line when the stream ends is dropped.
 */
export function createSseParser(onEvent: (event: SseEvent) => void, initialLastEventId = ''): SseParser {
  let buffer = '';
  let afterCr = false;
  let first = true;
  let type = '';
  let data = '';
  let lastEventId = initialLastEventId;
  let retry: number | undefined;

  function line(text: string): void {
    if (text === '') {
      if (data !== '') onEvent({ type: type || 'message', data: data.slice(0, -1), lastEventId });
      type = '';
      data = '';
      return;
    }
    if (text.startsWith(':')) return;
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? '' : text.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') type = value;
    else if (field === 'data') data += `${value}\n`;
    else if (field === 'id') {
      if (!value.includes('\0')) lastEventId = value;
    } else if (field === 'retry' && /^[0-9]+$/.test(value)) retry = Number(value);
  }

  return {
    push(text) {
      if (first && text !== '') {
        first = false;
        if (text.startsWith('\uFEFF')) text = text.slice(1);
      }
      if (text === '') return;
      // A CR that ended the previous chunk already ended its line: skip the LF of its CRLF.
      if (afterCr && text.startsWith('\n')) text = text.slice(1);
      afterCr = false;
      buffer += text;
      let start = 0;
      for (let i = 0; i < buffer.length; i++) {
        const char = buffer[i];
        if (char !== '\n' && char !== '\r') continue;
        line(buffer.slice(start, i));
        if (char === '\r') {
          if (i + 1 === buffer.length) afterCr = true;
          else if (buffer[i + 1] === '\n') i++;
        }
        start = i + 1;
      }
      buffer = buffer.slice(start);
    },
    get lastEventId() {
      return lastEventId;
    },
    get retry() {
      return retry;
    },
  };
}

/**
 * The events of a response body, in order. Ends when the body ends (a partial event is
 * dropped); the parser is returned so that the caller can read `lastEventId` and `retry`.
 * `onChunk` hears every chunk, comments included: a keep-alive proves the line is alive;
 * `signal` ends the reading (as if the body had ended).
 * @example for await (const event of readSse(response.body, parser)) …
 */
export async function* readSse(
  body: ReadableStream<Uint8Array>,
  lastEventId = '',
  options: { onChunk?: () => void; signal?: AbortSignal } = {},
): AsyncGenerator<SseEvent, SseParser> {
  const queue: SseEvent[] = [];
  const parser = createSseParser((event) => queue.push(event), lastEventId);
  const decoder = new TextDecoder('utf-8');
  const reader = body.getReader();
  // Cancelling ends a pending read at once, whatever the runtime does with the fetch's own abort.
  const stop = () => void reader.cancel().catch(() => undefined);
  options.signal?.addEventListener('abort', stop, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      options.onChunk?.();
      parser.push(done ? decoder.decode() : decoder.decode(value, { stream: true }));
      while (queue.length > 0) yield queue.shift() as SseEvent;
      if (done) return parser;
    }
  } finally {
    options.signal?.removeEventListener('abort', stop);
    await reader.cancel().catch(() => undefined);
  }
}
