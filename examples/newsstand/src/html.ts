import { formatMoney } from '@caisse/protocol';

/** Text or attribute value made safe to put into HTML. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export const money = (amount: number, currency = 'EUR') => esc(formatMoney({ amount, currency }, 'en-GB'));

/** What the header says of the reader: what they spent today and, during an hour of reading, what is left of it. */
export interface ReaderBar {
  spentToday: number;
  hourLeft?: number | undefined;
}

export function layout(title: string, body: string, bar: ReaderBar): string {
  const hour = bar.hourLeft === undefined ? '' : ` <span id="hour-left">${money(bar.hourLeft)} left of your hour</span>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · Le Kiosque</title><link rel="stylesheet" href="/assets/news.css"></head>
<body><header><a class="brand" href="/">Le Kiosque</a><nav><a href="/history">Reading history</a> <span id="spent-today">Today: ${money(bar.spentToday)}</span>${hour}</nav></header>
<main>${body}</main>
<script src="/assets/caisse.js"></script><script src="/assets/news.js"></script></body></html>`;
}
