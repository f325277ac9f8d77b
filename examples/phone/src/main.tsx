import './zod-jitless.js';
import { render } from 'preact';
import { App } from './app.js';

render(<App />, document.getElementById('app') as HTMLElement);

// Keeps the app shell for offline starts (public/sw.js); the app works without it.
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/sw.js').catch((error: unknown) => console.warn('The app will not start offline:', error));
}
