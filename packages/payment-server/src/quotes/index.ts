export { createQuoteFetcher, type FetchedQuote, QUOTE_TIMEOUT_MS, type QuoteFetcher, type QuoteQuery } from './fetch.js';
export { quoteRoutes } from './routes.js';
