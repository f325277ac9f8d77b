// Serves the built phone app (dist/) on PORT (default 4300): `node examples/phone/serve.mjs`.
// Static files only; the app talks to the payment server the customer enrols with.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';

const DIST = new URL('./dist/', import.meta.url).pathname;
const PORT = Number(process.env.PORT ?? 4300);
const HOST = process.env.HOST ?? '127.0.0.1';
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.webmanifest': 'application/manifest+json',
  '.map': 'application/json',
};
// The payment server is whichever the customer types in, so connect-src cannot name it.
const HEADERS = {
  'content-security-policy':
    "default-src 'self'; connect-src 'self' https: http://localhost:* http://127.0.0.1:*; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
};

const server = createServer(async (req, res) => {
  try {
    const path = new URL(req.url ?? '/', 'http://phone').pathname;
    const file = normalize(join(DIST, path === '/' ? 'index.html' : decodeURIComponent(path)));
    if (!file.startsWith(DIST) || (req.method !== 'GET' && req.method !== 'HEAD')) throw new Error('not served');
    const body = await readFile(file);
    res
      .writeHead(200, { ...HEADERS, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' })
      .end(req.method === 'HEAD' ? undefined : body);
  } catch {
    res.writeHead(404, HEADERS).end();
  }
});
server.listen(PORT, HOST, () => {
  const address = server.address();
  console.log(`phone app: http://localhost:${typeof address === 'object' && address ? address.port : PORT}`);
});
