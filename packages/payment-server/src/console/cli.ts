import { options, positional, required, UsageError } from '../cli/args.js';
import type { CliIo } from '../cli/commands.js';
import { output } from '../cli/output.js';
import type { PaymentServer } from '../server.js';
import { type ActionDetails, recordAction } from './activity.js';
import { isOperatorError } from './errors.js';
import { type Operator, operatorState, type TotpEnrollment } from './model.js';
import { isRole, ROLES } from './roles.js';

/** The operator commands, for the usage text of `caisse-server`. */
export const OPERATORS_USAGE = `  operators add                 --id ID --name NAME --role viewer|support|finance|admin   (the password is read from stdin;
                                prints the authenticator app's otpauth:// URI and base32 secret, this once)
  operators list                the console's operators (id, role, state, name)
  operators disable ID          the operator signs in no more; their sessions end at once (never the last admin)
  operators unlock ID           lifts a lock-out after 5 wrong passwords or codes
  operators reset-totp ID       a new authenticator secret (a lost phone), printed this once; the old codes stop working`;

type WithServer = <T>(io: CliIo, run: (server: PaymentServer) => Promise<T>) => Promise<T>;

/** Who the register says acted, for a command run on the server's host. */
const CLI = 'cli';

/**
 * Runs `operators add|list|disable|unlock|reset-totp`, or answers undefined when `argv` is
 * not one of them. Every change is recorded in the register of operator actions, as the
 * console's are. A refusal prints its code (`operator_exists`, `operator_last_admin`, …) and exits 1.
 * @example const code = await operatorsCommand(['operators', 'disable', 'bob'], io, withServer)
 */
export async function operatorsCommand(argv: string[], io: CliIo, withServer: WithServer): Promise<number | undefined> {
  const [group = '', action = '', ...rest] = argv;
  if (group !== 'operators') return undefined;
  try {
    switch (action) {
      case 'add':
        return await add(rest, io, withServer);
      case 'list':
        return await list(rest, io, withServer);
      case 'disable':
      case 'unlock':
      case 'reset-totp':
        return await change(action, positional(rest, 'operator id'), io, withServer);
      default:
        throw new UsageError(`Unknown command "operators ${action}".`, 'command_unknown');
    }
  } catch (error) {
    if (!isOperatorError(error)) throw error;
    output(io).failure(error.code, error.message);
    return 1;
  }
}

/**
 * Runs `change` on the server and records it in the register of operator actions as done
 * from the command line (operator and client `cli`), in one go: what keeps the reason of
 * a change whose own table has no place for it (`customers lock`).
 * @example await audited(io, withServer, 'customer.lock', 'alice', (server) => server.customers.lock('alice', reason), { reason })
 */
export function audited<T>(
  io: CliIo,
  withServer: WithServer,
  action: string,
  subject: string,
  change: (server: PaymentServer) => Promise<T>,
  details: ActionDetails = {},
): Promise<T> {
  return withServer(io, async (server) => {
    const done = await change(server);
    await recordAction(server.db, { operatorId: CLI, action, subject, details: { ...details, outcome: 'done' }, client: CLI }, new Date());
    return done;
  });
}

async function add(rest: string[], io: CliIo, withServer: WithServer): Promise<number> {
  const values = options(rest, { id: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' } });
  const id = required(values, 'id');
  const displayName = required(values, 'name');
  const role = required(values, 'role');
  if (!isRole(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}.`);
  // From stdin, never an argument: arguments end up in shell history and `ps`.
  const password = (await io.readStdin()).replace(/\r?\n$/, '');
  if (password === '') throw new UsageError('Give the password on standard input, e.g. `caisse-server operators add … < password-file`.');
  const { operator, totp } = await audited(
    io,
    withServer,
    'operator.add',
    id,
    (server) => server.operators.add({ id, displayName, role, password }),
    {
      role,
    },
  );
  enrolled(io, operator, totp, `Operator ${operator.id} (${operator.displayName}) added with the role ${operator.role}.`);
  return 0;
}

async function list(rest: string[], io: CliIo, withServer: WithServer): Promise<number> {
  options(rest, {});
  const operators = await withServer(io, (server) => server.operators.list());
  output(io).list(operators, {
    line: (operator) => `${operator.id}\t${operator.role}\t${operatorState(operator)}\t${operator.displayName}`,
    json: (operator) => ({ ...operator, state: operatorState(operator) }),
    empty: 'No operator yet: add the first admin with `caisse-server operators add --id … --name … --role admin`.',
  });
  return 0;
}

async function change(action: 'disable' | 'unlock' | 'reset-totp', id: string, io: CliIo, withServer: WithServer): Promise<number> {
  const print = output(io);
  if (action === 'reset-totp') {
    const { operator, totp } = await audited(io, withServer, 'operator.reset_totp', id, (server) => server.operators.resetTotp(id));
    enrolled(
      io,
      operator,
      totp,
      `Operator ${operator.id} has a new authenticator secret; the old codes no longer work and their sessions ended.`,
    );
    return 0;
  }
  const operator = await audited(io, withServer, `operator.${action}`, id, (server) =>
    action === 'disable' ? server.operators.disable(id) : server.operators.unlock(id),
  );
  print.result(
    { ...operator, state: operatorState(operator) },
    action === 'disable' ? `Operator ${operator.id} is disabled; their sessions ended.` : `Operator ${operator.id} is unlocked.`,
  );
  return 0;
}

/** The secret, this once: the URI for a QR code or an app that opens it, the base32 text for typing it in. */
function enrolled(io: CliIo, operator: Operator, totp: TotpEnrollment, said: string): void {
  output(io).result({ operator: { ...operator, state: operatorState(operator) }, totp }, [
    said,
    'Add it to their authenticator app now; it is not shown again:',
    totp.uri,
    `Secret (base32): ${totp.secret}`,
  ]);
}
