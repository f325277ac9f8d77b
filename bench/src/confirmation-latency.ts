/**
 * bench:confirmation-latency — how long a ticket takes to reach the customer's phone:
 * from the moment the merchant's backend sends it to the payment server
 * (`POST /v1/payments {ticket, phone}`, the decoupled flow: one HTTP request, ticket
 * checked and spent, confirmation request opened and committed) until the request
 * arrives on the right one of 1,000 open device streams (`GET /device/requests`,
 * `text/event-stream`, fanned out by LISTEN/NOTIFY) — against a bare HTTP round trip on
 * the same loopback, to the same thread, measured in the same run.
 *
 * The payment server is the built `@caisse/payment-server` (`startPaymentServer`) on a
 * fresh PostgreSQL database, in a worker thread with its own event loop; next to it, on
 * that same event loop, a bare `node:http` server answering 204. The main thread plays
 * the 1,000 phones (each an Ed25519 key, enrolled through the device service with a
 * one-time code, its stream a real HTTP connection authenticated by a signed device
 * assertion) and the merchant's backend (tickets and merchant assertions signed before
 * each clock starts).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { Agent, createServer as createHttpServer, type IncomingMessage, request } from 'node:http';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { PROTOCOL_VERSION, TOKEN_TYPES } from '@caisse/protocol';
import { createState, generateKey, signJws } from '@caisse/server-kit';
import pg from 'pg';
import { b64, type DeviceJwk, type DeviceKey, newDeviceKey, openDeviceStream } from './phones.js';
import {
  benchEntry,
  benchMerchant,
  freePort,
  freshDatabase,
  MERCHANT_ID,
  runServer,
  type ServerSetup,
  SHOP,
  serverThread,
} from './server-thread.js';
import { load, percentile } from './stats.js';

const DEVICES = 1_000;
const WARMUP_TICKETS = 20;
const TICKETS = 200;
const LOOPBACK_WARMUP = 100;
/** Loopback round trips, half before the tickets and half after, so a noisy spell lands on both. */
const LOOPBACK_TRIPS = 1_000;
/** Streams opened at once while connecting. */
const CONNECT_BATCH = 100;
const PRICE = 1290;

const customerId = (n: number): string => `phone-${n}`;
const phoneOf = (n: number): string => `+3361${String(n).padStart(7, '0')}`;

// ——— the payment server and the bare server, in a worker thread ———

interface LatencySetup extends ServerSetup {
  loopbackPort: number;
  /** The devices' public JWKs (`kid` = device id), in customer order. */
  devices: { id: string; jwk: DeviceJwk }[];
}

/** Ready with how long seeding took; the one question is how many device streams the server holds open. */
type Ready = { seedMs: number };

function serveInThread(setup: LatencySetup): Promise<void> {
  // The ceiling: a round trip to this thread's event loop and back, doing nothing.
  const bare = createHttpServer((_, response) => {
    response.writeHead(204);
    response.end();
  });
  return runServer<Ready, number>(setup, {
    async seed(server) {
      await new Promise<void>((resolve) => bare.listen(setup.loopbackPort, '127.0.0.1', resolve));
      const seedStarted = performance.now();
      // One customer through the service (one scrypt hash of an access key, ~80 ms); the
      // others are copies of its row with their own id and phone, since an access key is
      // never used here and 1,000 hashes would take over a minute on 2 cores.
      await server.customers.add({ accountId: customerId(0), phone: phoneOf(0), accessKey: 'correct horse battery staple' });
      await server.db.query(
        `INSERT INTO customers (id, phone, key_hash, key_salt, key_params, created_at)
         SELECT 'phone-' || n, '+3361' || lpad(n::text, 7, '0'), key_hash, key_salt, key_params, created_at
           FROM customers, generate_series(1, $1::int - 1) AS n WHERE id = $2`,
        [setup.devices.length, customerId(0)],
      );
      // Each device enrolled through the device service with its own one-time code (not
      // over HTTP: the PIN verifier is random bytes, since no one approves anything here).
      const devices = server.devices;
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let n = next++; n < setup.devices.length; n = next++) {
            const device = setup.devices[n] as LatencySetup['devices'][number];
            const { code } = await devices.createCode(customerId(n));
            await devices.enroll(device.id, {
              code,
              jwk: device.jwk,
              pinVerifier: b64(randomBytes(32)),
            });
          }
        }),
      );
      return { seedMs: performance.now() - seedStarted };
    },
    answer: (server) => server.deviceStreams.size(),
    close() {
      bare.closeAllConnections();
      bare.close();
    },
  });
}

// ——— the phones ———

interface Stream {
  response: IncomingMessage;
  ended: boolean;
}

/** Waiters by ticket id: which phone must receive it, and what to call when it arrives. */
const arrivals = new Map<string, { phone: number; arrived: (at: number) => void }>();
let misrouted = 0;

/** Opens a phone's live stream and feeds `arrivals` from its `request` events. */
async function openStream(phone: DeviceKey, index: number, issuer: string, agent: Agent): Promise<Stream> {
  const response = await openDeviceStream(phone, issuer, agent, (data, at) => {
    const ticket = data ? (JSON.parse(data) as { ticket: { jti: string } }).ticket.jti : undefined;
    const waiter = ticket === undefined ? undefined : arrivals.get(ticket);
    if (waiter?.phone === index) waiter.arrived(at);
    else misrouted++;
  });
  const stream: Stream = { response, ended: false };
  const ended = () => {
    stream.ended = true;
  };
  response.on('end', ended);
  response.on('close', ended);
  response.on('error', ended);
  return stream;
}

// ——— the merchant ———

function post(
  agent: Agent,
  issuer: string,
  path: string,
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; at: number }> {
  const { hostname, port } = new URL(issuer);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { agent, hostname, port, path, method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (response) => {
        response.resume();
        response.on('end', () => resolve({ status: response.statusCode ?? 0, at: performance.now() }));
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

function roundTrip(agent: Agent, url: URL): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const outgoing = request({ agent, hostname: url.hostname, port: url.port, path: '/', method: 'GET' }, (response) => {
      response.resume();
      response.on('end', () => resolve(performance.now() - started));
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

// ——— the run ———

const ms = (value: number): string => `${value.toFixed(2)} ms`;

async function main(): Promise<void> {
  const runStarted = performance.now();
  const database = await freshDatabase('bench_confirmation_latency');

  const phones = Array.from({ length: DEVICES }, newDeviceKey);
  const merchantKey = generateKey();
  const loopbackPort = await freePort();
  const setup: LatencySetup = {
    databaseUrl: database.url,
    port: await freePort(),
    loopbackPort,
    merchantJwks: merchantKey.jwks,
    devices: phones.map(({ id, jwk }) => ({ id, jwk })),
  };
  const server = serverThread<Ready, number>(import.meta.url, setup);
  const streamAgent = new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
  const apiAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const loopbackAgent = new Agent({ keepAlive: true, maxSockets: 1 });
  const streams: Stream[] = [];
  try {
    const { url: issuer, jwks, seedMs } = await server.ready;
    console.log(
      'bench:confirmation-latency — from a ticket sent to the payment server to its request on the right one of 1,000 phone streams',
    );
    console.log(`node ${process.version}; payment server (built, PostgreSQL, worker thread) and a bare HTTP server on the same event loop`);
    console.log(`load average (1, 5, 15 min) before the run: ${load()} on ${cpus().length} cores`);
    console.log(
      `setup: database, migrations and ${DEVICES} customers with an enrolled device in ${(performance.now() - runStarted).toFixed(0)} ms (seeding ${seedMs.toFixed(0)} ms)`,
    );

    const connectStarted = performance.now();
    for (let from = 0; from < DEVICES; from += CONNECT_BATCH) {
      const batch = phones.slice(from, from + CONNECT_BATCH);
      streams.push(...(await Promise.all(batch.map((phone, offset) => openStream(phone, from + offset, issuer, streamAgent)))));
    }
    console.log(
      `streams: ${streams.length} connected in ${(performance.now() - connectStarted).toFixed(0)} ms; the server counts ${await server.ask()} open`,
    );

    const merchant = benchMerchant(merchantKey, issuer, jwks);
    const loopbackUrl = new URL(`http://127.0.0.1:${loopbackPort}/`);
    const loopback: number[] = [];
    const loopbackRound = async (count: number, keep: boolean) => {
      for (let trip = 0; trip < count; trip++) {
        const took = await roundTrip(loopbackAgent, loopbackUrl);
        if (keep) loopback.push(took);
      }
    };

    /** One ticket for a random phone's customer: signed before the clock starts; resolves with the milliseconds until its request arrived. */
    let serial = 0;
    const sendTicket = async (): Promise<{ total: number; afterAnswer: number }> => {
      const phone = Math.floor(Math.random() * DEVICES);
      const ticket = merchant.createTicket({
        serial: `order-${serial++}`,
        currency: 'EUR',
        items: [{ id: 'book', label: 'A book', quantity: 1, unitAmount: PRICE, vatRate: 550 }],
        returnUrl: `${SHOP}/paid`,
        cancelUrl: `${SHOP}/basket`,
        state: createState(),
      });
      const body = JSON.stringify({ ticket: ticket.token, phone: phoneOf(phone) });
      const iat = Math.floor(Date.now() / 1000);
      const assertion = signJws(
        TOKEN_TYPES.assertion,
        {
          ver: PROTOCOL_VERSION,
          iss: MERCHANT_ID,
          aud: issuer,
          jti: randomUUID(),
          iat,
          exp: iat + 60,
          htm: 'POST',
          htu: `${issuer}/v1/payments`,
          bodySha256: b64(createHash('sha256').update(body).digest()),
        },
        merchantKey.signingKey,
      );
      const arrived = new Promise<number>((resolve) => arrivals.set(ticket.claims.jti, { phone, arrived: resolve }));
      const started = performance.now();
      const answer = await post(apiAgent, issuer, '/v1/payments', body, {
        authorization: `Caisse-Assertion ${assertion}`,
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
      });
      if (answer.status !== 202) throw new Error(`POST /v1/payments answered ${answer.status}`);
      let timer: NodeJS.Timeout | undefined;
      const at = await Promise.race([
        arrived,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`ticket ${ticket.claims.jti} never reached phone ${phone}`)), 5_000);
        }),
      ]).finally(() => clearTimeout(timer));
      arrivals.delete(ticket.claims.jti);
      return { total: at - started, afterAnswer: at - answer.at };
    };

    // Diagnostics: one SQL round trip, and one committed write (a WAL flush), to the same
    // PostgreSQL, now. The path to the phone makes about twenty round trips and five commits.
    const sql = new pg.Client({ connectionString: database.url });
    await sql.connect();
    await sql.query('CREATE TABLE bench_commits (n int)');
    const sqlTrips: number[] = [];
    const commits: number[] = [];
    for (let trip = 0; trip < 300; trip++) {
      let started = performance.now();
      await sql.query('SELECT 1');
      if (trip >= 50) sqlTrips.push(performance.now() - started);
      started = performance.now();
      await sql.query('INSERT INTO bench_commits VALUES ($1)', [trip]);
      if (trip >= 50) commits.push(performance.now() - started);
    }
    await sql.query('DROP TABLE bench_commits');
    await sql.end();
    sqlTrips.sort((a, b) => a - b);
    commits.sort((a, b) => a - b);

    await loopbackRound(LOOPBACK_WARMUP, false);
    await loopbackRound(LOOPBACK_TRIPS / 2, true);
    for (let n = 0; n < WARMUP_TICKETS; n++) await sendTicket();
    const latencies: number[] = [];
    const afterAnswers: number[] = [];
    const ticketsStarted = performance.now();
    for (let n = 0; n < TICKETS; n++) {
      const { total, afterAnswer } = await sendTicket();
      latencies.push(total);
      afterAnswers.push(afterAnswer);
    }
    const ticketsMs = performance.now() - ticketsStarted;
    await loopbackRound(LOOPBACK_TRIPS / 2, true);

    const open = streams.filter((stream) => !stream.ended && !stream.response.destroyed).length;
    const serverOpen = await server.ask();
    latencies.sort((a, b) => a - b);
    afterAnswers.sort((a, b) => a - b);
    loopback.sort((a, b) => a - b);
    console.log('');
    console.log(
      `ticket → phone   p50 ${ms(percentile(latencies, 50))}, p99 ${ms(percentile(latencies, 99))}, max ${ms(latencies.at(-1) ?? Number.NaN)} over ${TICKETS} tickets, one at a time, each for a random phone (${(ticketsMs / 1000).toFixed(1)} s)`,
    );
    console.log(
      `  after the 202  p50 ${ms(percentile(afterAnswers, 50))}, p99 ${ms(percentile(afterAnswers, 99))} (negative: the request reached the phone before the merchant had its answer)`,
    );
    console.log(
      `loopback         p50 ${ms(percentile(loopback, 50))}, p99 ${ms(percentile(loopback, 99))} over ${loopback.length} bare HTTP round trips (keep-alive, 204, same event loop as the payment server)`,
    );
    console.log(
      `SQL              SELECT 1 p50 ${ms(percentile(sqlTrips, 50))}, p99 ${ms(percentile(sqlTrips, 99))}; a committed one-row INSERT p50 ${ms(percentile(commits, 50))}, p99 ${ms(percentile(commits, 99))} (pg, same database; to read the figures, not in the ratio)`,
    );
    console.log(`streams open at the end: ${open}/${DEVICES} (server: ${serverOpen}); requests on a wrong stream: ${misrouted}`);
    if (open !== DEVICES || serverOpen !== DEVICES) throw new Error('some phone streams were closed during the run');
    if (misrouted !== 0) throw new Error('a request reached a stream it was not meant for');
    console.log(`target: p99 ≤ 50 ms — ${percentile(latencies, 99) <= 50 ? 'met' : 'NOT met'}`);
    console.log('');
    console.log(`ratio: ${(percentile(latencies, 99) / percentile(loopback, 99)).toFixed(1)}`);
  } finally {
    for (const stream of streams) stream.response.destroy();
    streamAgent.destroy();
    apiAgent.destroy();
    loopbackAgent.destroy();
    await server.close();
    await database.drop();
  }
}

benchEntry(main, serveInThread);
