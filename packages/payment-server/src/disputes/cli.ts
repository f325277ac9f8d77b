import { DISPUTE_STATES, toDecimalString } from '@caisse/protocol';
import { options, positional, UsageError } from '../cli/args.js';
import type { CliIo } from '../cli/commands.js';
import { jsonMoney, output } from '../cli/output.js';
import type { PaymentServer } from '../server.js';
import { type DisputeRow, type OperatorDispute, toOperatorDispute } from './model.js';

/** The dispute commands, for the usage text of `caisse-server`. */
export const DISPUTES_USAGE = `  disputes list                 [--state ${DISPUTE_STATES.join('|')}]   newest first (reads only)
  disputes show ID              one dispute: payment, reason, message, evidence, deadlines, hold, outcome, refund
  disputes hold ID              hold the disputed amount back from the merchant's payouts until the dispute is decided
  disputes decide ID            --for customer|merchant [--note TEXT]   for the customer: refunded once, even if run again`;

type WithServer = <T>(io: CliIo, run: (server: PaymentServer) => Promise<T>) => Promise<T>;

const money = (dispute: OperatorDispute) =>
  `${toDecimalString({ amount: dispute.amount, currency: dispute.currency })} ${dispute.currency}`;

/** What is due next, and by when: the merchant's answer, the operator's decision, or nothing. */
function due(dispute: OperatorDispute): string {
  if (dispute.state === 'awaiting_merchant') return `answer by ${dispute.answerDueAt}`;
  if (dispute.state === 'awaiting_decision') return `decide by ${dispute.decisionDueAt}`;
  return `${dispute.outcome} (${dispute.decidedBy}) ${dispute.resolvedAt}`;
}

/** A dispute as `--json` prints it: its amount in minor units with its currency. */
function disputeJson(row: DisputeRow) {
  const { amount, currency, ...dispute } = toOperatorDispute(row);
  return { ...dispute, amount: jsonMoney(amount, currency) };
}

function summary(row: DisputeRow): string {
  const dispute = toOperatorDispute(row);
  return [
    dispute.id,
    dispute.state,
    dispute.merchant,
    dispute.payment,
    money(dispute),
    dispute.reason,
    dispute.openedAt,
    due(dispute),
  ].join('\t');
}

function details(row: DisputeRow): string[] {
  const dispute = toOperatorDispute(row);
  const lines: [string, string | null][] = [
    ['id', dispute.id],
    ['state', dispute.state],
    ['merchant', dispute.merchant],
    ['customer', dispute.customer],
    ['payment', `${dispute.payment} (order ${dispute.serial})`],
    ['amount', money(dispute)],
    ['reason', dispute.reason],
    ['message', dispute.message],
    ['opened', dispute.openedAt],
    ['answer-due', dispute.answerDueAt],
    ['answered', dispute.answeredAt],
    ['evidence', dispute.evidence === null ? null : JSON.stringify(dispute.evidence)],
    ['decision-due', dispute.decisionDueAt],
    ['held', dispute.held ? 'yes' : row.release_transfer === null ? 'no' : 'released'],
    ['outcome', dispute.outcome === null ? null : `${dispute.outcome} (${dispute.decidedBy}) ${dispute.resolvedAt}`],
    ['note', dispute.note],
    ['refund', dispute.refund ?? (dispute.refundError === null ? null : `not made: ${dispute.refundError}`)],
  ];
  // Tab-separated, one field a line; texts keep their line breaks escaped so each stays one line.
  return lines.filter(([, value]) => value !== null).map(([name, value]) => `${name}\t${(value as string).replace(/\n/g, '\\n')}`);
}

/**
 * Runs `disputes list|show|hold|decide`, or answers undefined when `argv` is none of them:
 * the operator's side of disputes (there is no operator console: this is it).
 * @example const code = await disputesCommand(['disputes', 'decide', 'dp_x', '--for', 'customer'], io, withServer)
 */
export async function disputesCommand(argv: string[], io: CliIo, withServer: WithServer): Promise<number | undefined> {
  const [group = '', action = '', ...rest] = argv;
  if (group !== 'disputes') return undefined;
  const print = output(io);
  switch (action) {
    case 'list': {
      const values = options(rest, { state: { type: 'string' } });
      const rows = await withServer(io, (server) => server.disputes.list(values.state === undefined ? {} : { state: values.state }));
      if (rows.length === 0) print.note('No disputes.');
      print.list(rows, { line: summary, json: disputeJson });
      return 0;
    }
    case 'show': {
      const id = positional(rest, 'ID');
      const row = await withServer(io, (server) => server.disputes.get(id));
      print.result(disputeJson(row), details(row));
      return 0;
    }
    case 'hold': {
      const id = positional(rest, 'ID');
      const row = await withServer(io, (server) => server.disputes.hold(id));
      const dispute = toOperatorDispute(row);
      print.result(
        disputeJson(row),
        `Dispute ${dispute.id}: ${money(dispute)} held back from ${dispute.merchant}'s payouts until it is decided.`,
      );
      return 0;
    }
    case 'decide': {
      const [id = '', ...flags] = rest;
      positional([id], 'ID');
      const values = options(flags, { for: { type: 'string' }, note: { type: 'string' } });
      if (values.for !== 'customer' && values.for !== 'merchant') throw new UsageError('--for is customer or merchant.');
      const outcome = values.for === 'customer' ? 'for_customer' : 'for_merchant';
      const row = await withServer(io, (server) =>
        server.disputes.decide(id, outcome, values.note === undefined ? {} : { note: values.note }),
      );
      const dispute = toOperatorDispute(row);
      if (dispute.outcome === 'for_merchant') {
        print.result(
          disputeJson(row),
          `Dispute ${dispute.id} decided for the merchant: nothing refunded, any amount held is back in its till.`,
        );
        return 0;
      }
      if (dispute.refund !== null) {
        print.result(disputeJson(row), `Dispute ${dispute.id} decided for the customer; ${money(dispute)} refunded (${dispute.refund}).`);
        return 0;
      }
      const notMade = `Dispute ${dispute.id} decided for the customer, but the refund was not made: ${dispute.refundError ?? 'in progress elsewhere'}. Run the same command again to retry.`;
      // The decision stands (stdout has it with --json); the refund is what is missing.
      print.result(disputeJson(row), []);
      print.failure('refund_not_made', notMade);
      return 1;
    }
    default:
      throw new UsageError(`Unknown command "disputes ${action}".`, 'command_unknown');
  }
}
