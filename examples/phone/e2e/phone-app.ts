import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/**
 * The built phone app (dist/) served by serve.mjs, with its CSP, on a free port: what a
 * browser test opens. Resolves once it listens.
 */
export async function servePhoneApp(): Promise<{ url: string; close(): void }> {
  if (!existsSync(new URL('../dist/app.js', import.meta.url))) throw new Error('Build the app first: node examples/phone/build.mjs');
  const app = spawn(process.execPath, [new URL('../serve.mjs', import.meta.url).pathname], { env: { ...process.env, PORT: '0' } });
  const url = await new Promise<string>((resolve, reject) => {
    app.stdout?.on('data', (chunk: Buffer) => {
      const match = /http:\/\/localhost:\d+/.exec(chunk.toString());
      if (match) resolve(match[0]);
    });
    app.once('exit', (code) => reject(new Error(`serve.mjs exited with ${code}`)));
  });
  return { url, close: () => app.kill() };
}
