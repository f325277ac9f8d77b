export { openJsonFile } from './json-file.js';
export { type ListenOptions, listen } from './listen.js';
export { refusalReason, refusalWords } from './refusal.js';
export { jsonFileReplayStore } from './replay-store.js';
export { securityHeaders } from './security-headers.js';
export { staticAssets } from './static.js';
