import { readFile } from 'node:fs/promises';
import { CaisseError } from '@caisse/protocol';
import { CliError } from './errors.js';

/**
 * Everything a command touches outside its arguments, so tests run commands in-process
 * with a captured output and a frozen clock.
 */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Reads stdin as UTF-8, at most `maxBytes`: resolves `undefined` when there is more. */
  readStdin(maxBytes: number): Promise<string | undefined>;
  /** The clock: tickets and vouchers are judged at this time. */
  now(): Date;
}

/** A token on stdin can be at most this large before we stop reading (the protocol limit is far below). */
export const MAX_STDIN_BYTES = 1024 * 1024;
/** A JWKS file can be at most this large (32 keys are a few kilobytes). */
const MAX_JWKS_FILE_BYTES = 256 * 1024;

/** The real process: stdout, stderr, stdin and the system clock. */
export function nodeIo(): CliIo {
  // Piped into `head`: the reader left, which is no failure of the command.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    async readStdin(maxBytes) {
      if (process.stdin.isTTY) process.stderr.write('Paste the token, then press Ctrl-D.\n');
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of process.stdin) {
        const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
        size += bytes.length;
        if (size > maxBytes) {
          process.stdin.destroy();
          return undefined;
        }
        chunks.push(bytes);
      }
      return Buffer.concat(chunks).toString('utf8');
    },
    now: () => new Date(),
  };
}

/**
 * The token named on the command line: the argument itself, or stdin for `-` (which keeps
 * tokens out of shell history and `ps`). Surrounding whitespace is dropped.
 */
export async function readToken(argument: string, io: CliIo): Promise<string> {
  let text = argument;
  if (argument === '-') {
    let input: string | undefined;
    try {
      input = await io.readStdin(MAX_STDIN_BYTES);
    } catch (cause) {
      throw new CliError('input_unreadable', `Could not read the token from stdin: ${reasonOf(cause)}.`, { cause });
    }
    if (input === undefined) throw new CaisseError('token_too_large', `The input on stdin is larger than ${MAX_STDIN_BYTES} bytes.`);
    text = input;
  }
  text = text.trim();
  if (text === '') throw new CliError('usage', argument === '-' ? 'No token on stdin.' : 'The token is empty.');
  return text;
}

function reasonOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'unknown error';
}

/**
 * Reads a JSON file given on the command line, at most `maxBytes` (a key set's by
 * default). Errors name the file and the system error code, never the content: the file
 * could be a private key given by mistake.
 */
export async function readJsonFile(path: string, what: string, maxBytes = MAX_JWKS_FILE_BYTES): Promise<unknown> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > maxBytes) throw new CliError('input_invalid', `The ${what} file ${path} is larger than ${maxBytes} bytes.`);
    text = bytes.toString('utf8');
  } catch (cause) {
    if (cause instanceof CliError) throw cause;
    throw new CliError('input_unreadable', `Could not read the ${what} file ${path}: ${reasonOf(cause)}.`, { cause });
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CliError('input_invalid', `The ${what} file ${path} is not JSON.`);
  }
}
