/** The books on sale. Prices are VAT-inclusive, in euro cents; books carry 5.5 % VAT in France. */
export interface Book {
  id: string;
  title: string;
  author: string;
  price: number;
}

export const VAT_RATE = 550;
export const CURRENCY = 'EUR';

export const BOOKS: readonly Book[] = [
  { id: 'petit-prince', title: 'Le Petit Prince', author: 'Antoine de Saint-Exupéry', price: 790 },
  { id: 'etranger', title: "L'Étranger", author: 'Albert Camus', price: 690 },
  { id: 'bovary', title: 'Madame Bovary', author: 'Gustave Flaubert', price: 890 },
  { id: 'germinal', title: 'Germinal', author: 'Émile Zola', price: 1090 },
  { id: 'proust', title: 'Du côté de chez Swann', author: 'Marcel Proust', price: 1290 },
  { id: 'miserables', title: 'Les Misérables (coffret)', author: 'Victor Hugo', price: 5900 },
];

export function findBook(id: string): Book | undefined {
  return BOOKS.find((book) => book.id === id);
}
