import { formatMoney } from '@caisse/protocol';

/** Text or attribute value made safe to put into HTML. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export const money = (amount: number, currency: string) => esc(formatMoney({ amount, currency }, 'en-GB'));

export function layout(title: string, body: string, nav = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · The Bookshop</title><link rel="stylesheet" href="/assets/shop.css"></head>
<body><header><a class="brand" href="/">The Bookshop</a><nav>${nav}</nav></header>
<main>${body}</main>
<script src="/assets/caisse.js"></script></body></html>`;
}
