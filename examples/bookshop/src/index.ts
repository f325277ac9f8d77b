export { type BookshopConfig, createBookshop, startBookshop } from './app.js';
