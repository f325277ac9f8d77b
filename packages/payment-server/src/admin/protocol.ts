import type { Socket } from 'node:net';
import { z } from 'zod';

/**
 * The admin socket speaks newline-delimited JSON, one message a line. The client sends
 * `run` first, then `stdin` when asked; the server answers with `out` and `err` lines,
 * `stdin` (a request: the command reads its standard input), and `exit` last.
 */
export const clientMessage = z.union([
  z.strictObject({ run: z.strictObject({ argv: z.array(z.string()).max(256), cwd: z.string().min(1) }) }),
  z.strictObject({ stdin: z.string() }),
]);
export type ClientMessage = z.infer<typeof clientMessage>;

export const serverMessage = z.union([
  z.strictObject({ out: z.string() }),
  z.strictObject({ err: z.string() }),
  z.strictObject({ stdin: z.literal(true) }),
  z.strictObject({ exit: z.number().int().min(0).max(255) }),
]);
export type ServerMessage = z.infer<typeof serverMessage>;

/** The longest message the server takes from a client (characters): a command line, or an access key on stdin. */
export const CLIENT_MESSAGE_LIMIT = 1024 * 1024;

/** Writes one message as its line (JSON escapes the line breaks of the text it carries). */
export function send(socket: Socket, message: ClientMessage | ServerMessage): void {
  if (!socket.destroyed) socket.write(`${JSON.stringify(message)}\n`);
}

/** The message a line holds, or undefined when it is not JSON of `schema`'s shape. */
function parseLine<T>(line: string, schema: z.ZodType<T>): { message: T } | undefined {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? { message: parsed.data } : undefined;
}

/**
 * Calls `onMessage` with each line of `socket` parsed by `schema`; a malformed line, or
 * one longer than `limit` characters, ends the connection (`onInvalid` says why, first).
 */
export function readMessages<T>(
  socket: Socket,
  schema: z.ZodType<T>,
  onMessage: (message: T) => void,
  { limit = Number.POSITIVE_INFINITY, onInvalid = () => {} }: { limit?: number; onInvalid?: (reason: string) => void } = {},
): void {
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buffered += chunk;
    for (let end = buffered.indexOf('\n'); end !== -1; end = buffered.indexOf('\n')) {
      const parsed = parseLine(buffered.slice(0, end), schema);
      buffered = buffered.slice(end + 1);
      if (parsed === undefined) {
        onInvalid('a message on the admin socket is not one it understands');
        socket.destroy();
        return;
      }
      onMessage(parsed.message);
    }
    if (buffered.length > limit) {
      onInvalid(`a message on the admin socket is longer than ${limit} characters`);
      socket.destroy();
    }
  });
}
