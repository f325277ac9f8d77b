import { CaisseError, currencyExponent, isAmount, isCaisseError, LIMITS, toDecimalString } from '@caisse/protocol';
import { parseJsonObject } from '../jws/json.js';
import { CLI_ERROR_CODES, CliError, EXIT, type ExitCode } from './errors.js';
import type { CliIo } from './io.js';

/**
 * Characters that must not reach a terminal raw from an untrusted token: C0 and C1
 * controls (escape sequences can rewrite what the screen shows), bidirectional overrides
 * and invisible formatting characters (text that reads differently from what it is).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;
/** The same set minus C0, which JSON.stringify already escapes. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]/g;

function unicodeEscape(char: string): string {
  return `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`;
}

/** Text safe to print: unsafe characters written as `\uXXXX`, cut to `max` characters. */
export function printable(text: string, max = 500): string {
  const safe = text.replace(UNSAFE, unicodeEscape);
  return safe.length > max ? `${safe.slice(0, max)}…` : safe;
}

/** Pretty JSON safe to print: still valid JSON with the same value, since the escapes are JSON escapes inside strings. */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, null, indent).replace(UNSAFE_IN_JSON, unicodeEscape);
}

export function writeJson(io: CliIo, value: unknown): void {
  io.stdout(`${toJson(value)}\n`);
}

/** One thing wrong with a token, with the stable code and, for claims, the dotted path. */
export interface Problem {
  code: string;
  path?: string;
  message: string;
}

/** The stable code and message of any error, and one problem per field issue it names. */
export function describeError(error: unknown): { code: string; message: string; problems: Problem[] } {
  if (isCaisseError(error) || error instanceof CliError) {
    const message = printable(error.message);
    const issues = error instanceof CaisseError ? error.issues : [];
    const problems =
      issues.length > 0
        ? issues.map((issue) => ({ code: error.code, path: printable(issue.path, 200), message: printable(issue.message) }))
        : [{ code: error.code, message }];
    return { code: error.code, message, problems };
  }
  return {
    code: 'internal_error',
    message: CLI_ERROR_CODES.internal_error,
    problems: [{ code: 'internal_error', message: CLI_ERROR_CODES.internal_error }],
  };
}

export function formatProblem(problem: Problem): string {
  return problem.path === undefined
    ? `${problem.code}: ${problem.message}`
    : `${problem.code} at ${problem.path || '(whole message)'}: ${problem.message}`;
}

/**
 * Reports an error that ends the command: JSON on stdout with `--json`, else a line on
 * stderr. `help` names the command whose `--help` to suggest after a usage error.
 */
export function fail(io: CliIo, json: boolean, error: unknown, exit: ExitCode, help?: string): ExitCode {
  const { code, message, problems } = describeError(error);
  if (json) {
    const issues = problems.filter((problem) => problem.path !== undefined).map(({ path, message }) => ({ path, message }));
    writeJson(io, { ok: false, error: { code, message, ...(issues.length > 0 ? { issues } : {}) } });
  } else {
    io.stderr(`caisse: ${code}: ${message}\n`);
    for (const problem of problems)
      if (problem.path !== undefined) io.stderr(`  - ${problem.path || '(whole message)'}: ${problem.message}\n`);
    if (exit === EXIT.usage && help) io.stderr(`Run "caisse ${help} --help" for usage.\n`);
  }
  return exit;
}

/** An amount as the token says it, and as a decimal in its currency when both are valid. */
export interface MoneyView {
  minor: unknown;
  currency: unknown;
  /** e.g. `15.90 EUR`; absent when the amount or the currency is not valid. */
  decimal?: string;
}

export function moneyView(minor: unknown, currency: unknown): MoneyView {
  const view: MoneyView = { minor, currency };
  if (isAmount(minor) && typeof currency === 'string') {
    try {
      currencyExponent(currency);
      view.decimal = `${toDecimalString({ amount: minor, currency })} ${currency}`;
    } catch {
      // An unknown currency: the raw figures are shown and the claims check reports it.
    }
  }
  return view;
}

export function showMoney(view: MoneyView): string {
  return (
    view.decimal ??
    `${printable(JSON.stringify(view.minor) ?? 'missing', 40)} (currency ${printable(JSON.stringify(view.currency) ?? 'missing', 20)})`
  );
}

export interface LineView {
  id: unknown;
  quantity: unknown;
  unit: MoneyView;
  line: MoneyView;
  /** VAT rate as a percentage, e.g. `5.50 %`. */
  vatRate?: string;
}

/** The amounts of a ticket, voucher or refusal payload, read leniently: it may be invalid. */
export function amountsView(payload: Record<string, unknown>): { amount: MoneyView; vat?: MoneyView; items?: LineView[] } {
  const { currency } = payload;
  const view: { amount: MoneyView; vat?: MoneyView; items?: LineView[] } = { amount: moneyView(payload.amount, currency) };
  if ('vat' in payload) view.vat = moneyView(payload.vat, currency);
  if (Array.isArray(payload.items)) {
    view.items = payload.items.slice(0, LIMITS.items).map((raw: unknown) => {
      const item = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
      const { quantity, unitAmount, vatRate } = item;
      const line = typeof quantity === 'number' && typeof unitAmount === 'number' ? quantity * unitAmount : undefined;
      return {
        id: item.id,
        quantity,
        unit: moneyView(unitAmount, currency),
        line: moneyView(line, currency),
        ...(Number.isSafeInteger(vatRate) && (vatRate as number) >= 0 && (vatRate as number) <= LIMITS.vatRate
          ? { vatRate: `${((vatRate as number) / 100).toFixed(2)} %` }
          : {}),
      };
    });
  }
  return view;
}

export function showAmounts(view: ReturnType<typeof amountsView>): string[] {
  const lines = [`  amount  ${showMoney(view.amount)}`];
  if (view.vat) lines.push(`  vat     ${showMoney(view.vat)}`);
  for (const item of view.items ?? []) {
    const id = printable(typeof item.id === 'string' ? item.id : (JSON.stringify(item.id) ?? '?'), 64);
    const quantity = printable(JSON.stringify(item.quantity) ?? '?', 20);
    lines.push(`  - ${id}: ${quantity} × ${showMoney(item.unit)} = ${showMoney(item.line)}${item.vatRate ? ` (VAT ${item.vatRate})` : ''}`);
  }
  return lines;
}

/** When a token was issued and expires, and what that means at `now`. */
export interface LifetimeView {
  issuedAt?: string;
  expiresAt?: string;
  /** At `checkedAt`, with no clock tolerance. */
  status: 'live' | 'expired' | 'not_yet_valid' | 'unknown';
  checkedAt: string;
}

function isoOf(seconds: unknown): string | undefined {
  if (!Number.isSafeInteger(seconds)) return undefined;
  const date = new Date((seconds as number) * 1000);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

export function lifetimeView(payload: Record<string, unknown>, now: Date): LifetimeView {
  const issuedAt = isoOf(payload.iat);
  const expiresAt = isoOf(payload.exp);
  const at = Math.floor(now.getTime() / 1000);
  let status: LifetimeView['status'] = 'unknown';
  if (expiresAt !== undefined && issuedAt !== undefined) {
    status = at >= (payload.exp as number) ? 'expired' : at < (payload.iat as number) ? 'not_yet_valid' : 'live';
  }
  return { ...(issuedAt ? { issuedAt } : {}), ...(expiresAt ? { expiresAt } : {}), status, checkedAt: now.toISOString() };
}

function duration(seconds: number): string {
  const s = Math.abs(seconds);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}

export function showLifetime(view: LifetimeView): string[] {
  const at = Date.parse(view.checkedAt) / 1000;
  const lines = [`  issued   ${view.issuedAt ?? '(no valid iat)'}`, `  expires  ${view.expiresAt ?? '(no valid exp)'}`];
  const exp = view.expiresAt ? Date.parse(view.expiresAt) / 1000 : undefined;
  const iat = view.issuedAt ? Date.parse(view.issuedAt) / 1000 : undefined;
  const status =
    view.status === 'expired' && exp !== undefined
      ? `expired ${duration(at - exp)} ago`
      : view.status === 'not_yet_valid' && iat !== undefined
        ? `issued ${duration(iat - at)} in the future`
        : view.status === 'live' && exp !== undefined
          ? `live, expires in ${duration(exp - at)}`
          : 'unknown';
  lines.push(`  status   ${status} (at ${view.checkedAt})`);
  return lines;
}

/** Splits a compact token and parses its JSON parts without checking anything else, for display only. */
export function peek(token: string): { header?: Record<string, unknown>; payload?: Record<string, unknown> } {
  if (token.length > LIMITS.tokenLength) return {};
  const parts = token.split('.');
  if (parts.length !== 3) return {};
  return { header: peekPart(parts[0] as string), payload: peekPart(parts[1] as string) };
}

function peekPart(part: string): Record<string, unknown> | undefined {
  try {
    // The kit's strict parser: a part that repeats a member is not shown, since its readers could disagree on what it says.
    return parseJsonObject(Buffer.from(part, 'base64url'), 'part');
  } catch {
    return undefined;
  }
}

/** Indents a multi-line block. */
export function indent(text: string, by = '  '): string {
  return text
    .split('\n')
    .map((line) => `${by}${line}`)
    .join('\n');
}
