export { HttpBrowser } from './browser.js';
export { startPaymentServer } from './payment-server.js';
