import { describe, expect, it } from 'vitest';
import { createSseParser, readSse, type SseEvent } from './parser.js';

function parse(...chunks: string[]): { events: SseEvent[]; lastEventId: string; retry: number | undefined } {
  const events: SseEvent[] = [];
  const parser = createSseParser((event) => events.push(event));
  for (const chunk of chunks) parser.push(chunk);
  return { events, lastEventId: parser.lastEventId, retry: parser.retry };
}

describe('the event stream parser', () => {
  it('reads the device API stream: ids, event types, closed events without id, keep-alive comments', () => {
    const { events, lastEventId } = parse(
      'id: 42\nevent: request\ndata: {"id":"cfr_1"}\n\n',
      ': keep-alive\n\n',
      'event: closed\ndata: {"id":"cfr_1","state":"approved"}\n\n',
    );
    expect(events).toEqual([
      { type: 'request', data: '{"id":"cfr_1"}', lastEventId: '42' },
      { type: 'closed', data: '{"id":"cfr_1","state":"approved"}', lastEventId: '42' },
    ]);
    expect(lastEventId).toBe('42');
  });

  it('joins data lines with LF and defaults the type to message', () => {
    expect(parse('data: a\ndata:b\ndata\n\n').events).toEqual([{ type: 'message', data: 'a\nb\n', lastEventId: '' }]);
  });

  it('takes CRLF, LF and CR line ends, also when a CRLF is split across chunks', () => {
    expect(parse('data: 1\r\n\r\ndata: 2\r\rdata: 3\n\n').events.map((event) => event.data)).toEqual(['1', '2', '3']);
    expect(parse('data: x\r', '\n', '\r', '\n').events.map((event) => event.data)).toEqual(['x']);
    expect(parse('data: x\r', '', '\n\r\n').events.map((event) => event.data)).toEqual(['x']);
  });

  it('assembles an event cut anywhere, even inside a field name', () => {
    const text = 'id: 7\nevent: request\ndata: {"a":1}\n\n';
    for (let cut = 1; cut < text.length; cut++) {
      expect(parse(text.slice(0, cut), text.slice(cut)).events).toEqual([{ type: 'request', data: '{"a":1}', lastEventId: '7' }]);
    }
  });

  it('does not dispatch an event without data, and resets the type after each blank line', () => {
    expect(parse('event: closed\n\ndata: x\n\n').events).toEqual([{ type: 'message', data: 'x', lastEventId: '' }]);
  });

  it('keeps the last id across events, ignores an id with NUL, and an empty id clears it', () => {
    expect(parse('id: 1\ndata: a\n\nid: 2\u0000\ndata: b\n\n').events.map((event) => event.lastEventId)).toEqual(['1', '1']);
    expect(parse('id: 1\ndata: a\n\nid\ndata: b\n\n').events.map((event) => event.lastEventId)).toEqual(['1', '']);
  });

  it('reads retry only when it is all digits; ignores unknown fields; strips one space after the colon only', () => {
    expect(parse('retry: 2500\n\n').retry).toBe(2500);
    expect(parse('retry: 25x\n\n').retry).toBeUndefined();
    expect(parse('foo: bar\ndata:  two spaces\n\n').events).toEqual([{ type: 'message', data: ' two spaces', lastEventId: '' }]);
  });

  it('strips a leading byte order mark once', () => {
    expect(parse('\uFEFFdata: a\n\n').events.map((event) => event.data)).toEqual(['a']);
    expect(parse('\uFEFF', '\uFEFFdata: a\n\n').events).toEqual([]);
  });

  it('reads a byte stream with multi-byte characters split between chunks, and drops an unfinished event at the end', async () => {
    const bytes = new TextEncoder().encode('id: 3\ndata: L’Étranger\n\ndata: cut');
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const byte of bytes) controller.enqueue(new Uint8Array([byte]));
        controller.close();
      },
    });
    const events: SseEvent[] = [];
    const reader = readSse(stream);
    for (;;) {
      const next = await reader.next();
      if (next.done) {
        expect(next.value.lastEventId).toBe('3');
        break;
      }
      events.push(next.value);
    }
    expect(events).toEqual([{ type: 'message', data: 'L’Étranger', lastEventId: '3' }]);
  });

  it('starts from the Last-Event-ID it resumes from', async () => {
    const stream = new Response('event: closed\ndata: {}\n\n').body as ReadableStream<Uint8Array>;
    const first = await readSse(stream, '41').next();
    expect(first.value).toEqual({ type: 'closed', data: '{}', lastEventId: '41' });
  });
});
