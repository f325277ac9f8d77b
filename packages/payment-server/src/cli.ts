#!/usr/bin/env node
import { text } from 'node:stream/consumers';
import { runCommand } from './cli/commands.js';

process.exitCode = await runCommand(process.argv.slice(2), {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  env: process.env,
  readStdin: () => (process.stdin.isTTY ? Promise.resolve('') : text(process.stdin)),
  stopSignal: () =>
    new Promise((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    }),
});
