export { createNewsstand, type NewsstandConfig, startNewsstand } from './app.js';
