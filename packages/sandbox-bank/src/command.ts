import { parseArgs } from 'node:util';
import { TEST_IDENTITIES } from './identities.js';
import { type RunningSandboxBank, startSandboxBank } from './server.js';

/** Where the command writes, and when it stops: injected so tests run it in-process. */
export interface CommandIo {
  out(line: string): void;
  err(line: string): void;
  /** Resolves when the operator asks the bank to stop (Ctrl-C). */
  stopSignal(): Promise<void>;
}

export const USAGE = `Usage: caisse-sandbox-bank [--port 4010]

Runs the sandbox bank, a fake bank for development and demos, on 127.0.0.1 until
stopped (Ctrl-C). Its accounts and operations live in memory and vanish when it stops.

  --port PORT   the port to listen on (default 4010; 0 for any free port)
  --help        print this text

Test identities (as an authorisation's customerBankRef or a payout's accountRef):
${TEST_IDENTITIES.map((identity) => `  ${identity.ref.padEnd(24)}${identity.behaviour}`).join('\n')}

Point the payment server at it with CAISSE_SANDBOX_BANK_URL=http://127.0.0.1:4010.`;

const DEFAULT_PORT = 4010;

/** `undefined` when the text is not a port number. */
function portOf(text: string | undefined): number | undefined {
  if (text === undefined) return DEFAULT_PORT;
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const port = Number(text);
  return port <= 65_535 ? port : undefined;
}

/**
 * Runs `caisse-sandbox-bank`; returns the exit code (0 stopped or helped, 1 could not
 * listen, 2 usage).
 * @example process.exitCode = await runSandboxBank(process.argv.slice(2), io)
 */
export async function runSandboxBank(argv: string[], io: CommandIo): Promise<number> {
  const usageError = (message: string) => {
    io.err(`caisse-sandbox-bank: ${message}\n\n${USAGE}`);
    return 2;
  };
  let values: { port?: string | undefined; help?: boolean | undefined };
  try {
    values = parseArgs({
      args: argv,
      options: { port: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (error) {
    return usageError((error as Error).message);
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const port = portOf(values.port);
  if (port === undefined) return usageError(`--port is a number from 0 to 65535, not "${values.port}".`);

  let bank: RunningSandboxBank;
  try {
    bank = await startSandboxBank({ port });
  } catch (error) {
    // Most often EADDRINUSE: another bank (or anything) already listens there.
    io.err(`caisse-sandbox-bank: cannot listen on port ${port}: ${(error as Error).message}`);
    return 1;
  }
  io.out(`Sandbox bank listening on ${bank.url}`);
  await io.stopSignal();
  await bank.close();
  return 0;
}
