import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { type CommandIo, runSandboxBank, USAGE } from './command.js';

/** An io whose stop signal the test gives, and that keeps what the command wrote. */
function testIo() {
  const out: string[] = [];
  const err: string[] = [];
  let stop: () => void = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const io: CommandIo = { out: (line) => out.push(line), err: (line) => err.push(line), stopSignal: () => stopped };
  return { io, out, err, stop };
}

describe('caisse-sandbox-bank', () => {
  it('prints its usage, with the test identities, for --help', async () => {
    const { io, out, err } = testIo();
    expect(await runSandboxBank(['--help'], io)).toBe(0);
    expect(out).toEqual([USAGE]);
    expect(USAGE).toMatch(/^Usage: caisse-sandbox-bank \[--port 4010\]/);
    expect(USAGE).toContain('test_timeout');
    expect(err).toEqual([]);
  });

  it.each([
    [['--prot', '4010'], /Unknown option '--prot'/],
    [['serve'], /Unexpected argument 'serve'/],
    [['--port', 'http'], /--port is a number from 0 to 65535, not "http"/],
    [['--port', '70000'], /--port is a number from 0 to 65535/],
    [['--port', '-1'], /--port/],
  ])('refuses %j with exit code 2 and the usage', async (argv, message) => {
    const { io, out, err } = testIo();
    expect(await runSandboxBank(argv, io)).toBe(2);
    expect(out).toEqual([]);
    expect(err.join('\n')).toMatch(message);
    expect(err.join('\n')).toContain(USAGE);
  });

  it('serves the bank until stopped, on the port it was given', async () => {
    const { io, out, stop } = testIo();
    const exit = runSandboxBank(['--port', '0'], io);
    await expect.poll(() => out.length, { interval: 10, timeout: 5_000 }).toBe(1);
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(out[0] ?? '')?.[1];
    expect(url).toBeDefined();
    const response = await fetch(`${url}/v1/statement`);
    expect(await response.json()).toEqual({ operations: [] });
    stop();
    expect(await exit).toBe(0);
    await expect(fetch(`${url}/v1/statement`)).rejects.toThrow();
  });

  it('exits 1 when the port is taken', async () => {
    const taken = createServer();
    const port = await new Promise<number>((resolve) => {
      taken.listen(0, '127.0.0.1', () => resolve((taken.address() as { port: number }).port));
    });
    try {
      const { io, err } = testIo();
      expect(await runSandboxBank(['--port', String(port)], io)).toBe(1);
      expect(err.join('\n')).toMatch(new RegExp(`cannot listen on port ${port}: .*EADDRINUSE`));
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
