import { formatMoney } from '@caisse/protocol';

/** Text or attribute value made safe to put into HTML. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export const money = (amount: number, currency = 'EUR') => esc(formatMoney({ amount, currency }, 'en-GB'));

export function layout(title: string, body: string, spentToday: number): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Le Kiosque</title><link rel="stylesheet" href="/assets/news.css"></head>
<body><header><a class="brand" href="/">Le Kiosque</a><nav><a href="/history">Reading history</a> <span id="spent-today">Today: ${money(spentToday)}</span></nav></header>
<main>${body}</main>
<script src="/assets/caisse.js"></script><script src="/assets/news.js"></script></body></html>`;
}
