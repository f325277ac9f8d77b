import { esc } from './html.js';

/** The articles on sale, each at its own small price (euro cents, VAT included: 2.1 % for the press in France). */
export interface Article {
  id: string;
  title: string;
  section: string;
  /** The price once the article is no longer fresh; see {@link priceAt}. */
  price: number;
  /** When it was published (ISO 8601, UTC): for its first {@link FRESH}.hours it costs more. */
  publishedAt: string;
  teaser: string;
  body: string[];
}

export const VAT_RATE = 210;
export const CURRENCY = 'EUR';

/** A fresh article (published less than `hours` ago) costs `percent` % of its price. */
export const FRESH = { hours: 24, percent: 150 } as const;

/**
 * The live price of an article at `now`, in euro cents: half as dear again (rounded to the
 * cent) for the first 24 hours after it was published, its `price` after that (and before,
 * should a clock be behind). Asked for at the moment a reader wants the article: by the
 * quote endpoint, which the payment server calls then, and by the pages, which show it.
 * @example priceAt(findArticle('tides')!, new Date('2026-03-02T08:00:00Z')) // 30: published two hours before
 */
export function priceAt(article: Article, now: Date): number {
  const age = now.getTime() - Date.parse(article.publishedAt);
  return age >= 0 && age < FRESH.hours * 3_600_000 ? Math.round((article.price * FRESH.percent) / 100) : article.price;
}

export const ARTICLES: readonly Article[] = [
  {
    id: 'tides',
    title: 'Why the tides at Mont-Saint-Michel outrun a walker',
    section: 'Science',
    price: 20,
    publishedAt: '2026-03-02T06:00:00Z',
    teaser: 'Fourteen metres between low and high water, and a bay as flat as a table.',
    body: [
      'The bay is so flat that a rise of a few centimetres moves the water’s edge by hundreds of metres.',
      'At the equinoxes the sea comes in at the pace of a brisk walk, filling channels behind the walker first.',
    ],
  },
  {
    id: 'bakers',
    title: 'The night shift: a week with Lyon’s bakers',
    section: 'Life',
    price: 50,
    publishedAt: '2026-03-01T05:30:00Z',
    teaser: 'At three in the morning the only lit windows on the street belong to the bakery.',
    body: [
      'The dough for the morning was mixed the evening before and has been rising slowly in the cold room.',
      'By six the first customers queue in the dark; by nine the shelves are half empty.',
    ],
  },
  {
    id: 'rail',
    title: 'Night trains are back. Are they any good?',
    section: 'Travel',
    price: 70,
    publishedAt: '2026-02-27T18:00:00Z',
    teaser: 'Paris to Nice in a couchette, with a reading light that works.',
    body: [
      'The sheets are clean, the coffee at Marseille is not.',
      'Booking is the hard part: seats open three months ahead and go in an hour.',
    ],
  },
  {
    id: 'chess',
    title: 'How a village club produced three grandmasters',
    section: 'Sport',
    price: 80,
    publishedAt: '2026-02-25T12:00:00Z',
    teaser: 'A room above the café, a stove, and a coach who never raised his voice.',
    body: ['Every Wednesday the children played the adults, and lost, for years.', 'Then, in one winter, they stopped losing.'],
  },
  {
    id: 'budget',
    title: 'Reading the national budget in ten minutes',
    section: 'Economy',
    price: 100,
    publishedAt: '2026-02-20T09:00:00Z',
    teaser: 'Four numbers tell you most of what the 400 pages say.',
    body: ['Start with the deficit, then the interest on the debt.', 'The rest is the argument about what to do about those two.'],
  },
];

export function findArticle(id: string): Article | undefined {
  return ARTICLES.find((article) => article.id === id);
}

/**
 * The article as the payment server keeps it for the reader who pays (`contents.put`): one
 * small page standing on its own, every text escaped, its style inline, no script and
 * nothing to fetch (the payment server serves it sandboxed, scripts off).
 */
export function articleDocument(article: Article): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(article.title)} · Le Kiosque</title>
<style>body{max-width:40rem;margin:0 auto;padding:1rem 1.25rem 3rem;font:18px/1.6 Georgia,serif;color:#111;background:#fff}.section{font:bold .8rem system-ui,sans-serif;text-transform:uppercase;color:#555}.teaser{font-style:italic}footer{margin-top:2rem;font:.9rem system-ui,sans-serif;color:#555}</style></head>
<body><article><p class="section">${esc(article.section)}</p><h1>${esc(article.title)}</h1><p class="teaser">${esc(article.teaser)}</p>
${article.body.map((paragraph) => `<p>${esc(paragraph)}</p>`).join('\n')}</article>
<footer>Le Kiosque. This copy is yours; the article also opens in your reading history on the newsstand.</footer></body></html>
`;
}
