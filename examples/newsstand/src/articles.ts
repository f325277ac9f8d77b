/** The articles on sale, each at its own small price (euro cents, VAT included: 2.1 % for the press in France). */
export interface Article {
  id: string;
  title: string;
  section: string;
  price: number;
  teaser: string;
  body: string[];
}

export const VAT_RATE = 210;
export const CURRENCY = 'EUR';

export const ARTICLES: readonly Article[] = [
  {
    id: 'tides',
    title: 'Why the tides at Mont-Saint-Michel outrun a walker',
    section: 'Science',
    price: 20,
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
    teaser: 'A room above the café, a stove, and a coach who never raised his voice.',
    body: ['Every Wednesday the children played the adults, and lost, for years.', 'Then, in one winter, they stopped losing.'],
  },
  {
    id: 'budget',
    title: 'Reading the national budget in ten minutes',
    section: 'Economy',
    price: 100,
    teaser: 'Four numbers tell you most of what the 400 pages say.',
    body: ['Start with the deficit, then the interest on the debt.', 'The rest is the argument about what to do about those two.'],
  },
];

export function findArticle(id: string): Article | undefined {
  return ARTICLES.find((article) => article.id === id);
}
