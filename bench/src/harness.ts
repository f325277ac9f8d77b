import { cpus } from 'node:os';
import { median } from './stats.js';

/**
 * One thing being timed. `run` performs exactly `count` operations one after another;
 * `prepare`, if given, sets up a round (a fresh replay store, say) before the clocks start.
 */
export interface Contender {
  /** Printed in the results, e.g. `kit verifyVoucher`. */
  readonly name: string;
  /** Operations per round: a round should last roughly half a second. */
  readonly count: number;
  prepare?(round: number): void;
  run(round: number): Promise<void> | void;
}

export interface Plan {
  /** Untimed rounds per contender first, so every path is optimised by the JIT before it is timed. */
  readonly warmupRounds: number;
  readonly rounds: number;
}

export interface Figures {
  readonly name: string;
  /** Operations per second of CPU time (user + system, this process): the per-core figure, and what the ratio uses. */
  readonly cpu: Sample;
  /** Operations per second of elapsed time: lower than `cpu` when other processes take the core, higher when helper threads (GC, libuv pool) add CPU time. */
  readonly wall: Sample;
}

export interface Sample {
  /** Median of the timed rounds. */
  readonly median: number;
  readonly min: number;
  readonly max: number;
  readonly perRound: readonly number[];
}

function summarise(perRound: number[]): Sample {
  return { median: median(perRound), min: Math.min(...perRound), max: Math.max(...perRound), perRound };
}

/**
 * Runs every contender for the same number of rounds, interleaved and in rotating order
 * (kit, raw, extra; then raw, extra, kit; …), so that a slow moment of the machine is
 * spread across all of them instead of landing on one. Each round is timed on two
 * clocks: CPU time of this process (user + system, all its threads, so GC helpers count
 * against whoever made the garbage), which is what one core delivers and moves little
 * when other processes share the machine; and elapsed time.
 */
export async function race(contenders: readonly Contender[], plan: Plan): Promise<Figures[]> {
  const cpu = contenders.map(() => [] as number[]);
  const wall = contenders.map(() => [] as number[]);
  const total = plan.warmupRounds + plan.rounds;
  for (let round = 0; round < total; round++) {
    for (let offset = 0; offset < contenders.length; offset++) {
      const which = (round + offset) % contenders.length;
      const contender = contenders[which] as Contender;
      contender.prepare?.(round);
      const cpuStart = process.cpuUsage();
      const wallStart = process.hrtime.bigint();
      await contender.run(round);
      const wallNs = Number(process.hrtime.bigint() - wallStart);
      const cpuUsed = process.cpuUsage(cpuStart);
      if (round < plan.warmupRounds) continue;
      (cpu[which] as number[]).push((contender.count * 1e6) / (cpuUsed.user + cpuUsed.system));
      (wall[which] as number[]).push((contender.count * 1e9) / wallNs);
    }
  }
  return contenders.map((contender, which) => ({
    name: contender.name,
    cpu: summarise(cpu[which] as number[]),
    wall: summarise(wall[which] as number[]),
  }));
}

const format = (opsPerSecond: number): string => Math.round(opsPerSecond).toLocaleString('en-US');

/** The heading every benchmark prints first: what runs where, and that it is one core. */
export function printSetting(title: string, details: readonly string[]): void {
  console.log(title);
  console.log('per core: single-threaded, one Node.js process, one operation at a time (no worker threads, no concurrency)');
  console.log(
    `node ${process.version} on ${process.platform}/${process.arch}, ${cpus()[0]?.model.trim() ?? 'unknown CPU'} (${cpus().length} cores seen)`,
  );
  for (const line of details) console.log(line);
  console.log('');
}

/** One line per contender: median, spread, and its share of the ceiling; then every round. */
export function printFigures(figures: readonly Figures[], ceiling: Figures): void {
  const width = Math.max(...figures.map((figure) => figure.name.length));
  const line = (name: string, sample: Sample, of: Sample, isCeiling: boolean): string =>
    `${name.padEnd(width)}  ${format(sample.median).padStart(8)} ops/s  (min ${format(sample.min)}, max ${format(sample.max)})  ${
      isCeiling ? 'ceiling' : `${(sample.median / of.median).toFixed(2)} of ceiling`
    }`;
  console.log('per CPU-second (median of rounds; the ratio below uses these):');
  for (const figure of figures) console.log(`  ${line(figure.name, figure.cpu, ceiling.cpu, figure === ceiling)}`);
  console.log('per elapsed second (median of rounds; lower than the above when other processes shared the core):');
  for (const figure of figures) console.log(`  ${line(figure.name, figure.wall, ceiling.wall, figure === ceiling)}`);
  console.log('rounds, ops per CPU-second:');
  for (const figure of figures) console.log(`  ${figure.name.padEnd(width)}  ${figure.cpu.perRound.map(format).join(' ')}`);
  console.log('');
}

/** The last line, and the one tools read: the kit's median over the ceiling's median (per CPU-second), two decimals. */
export function printRatio(kit: Figures, ceiling: Figures): void {
  console.log(`ratio: ${(kit.cpu.median / ceiling.cpu.median).toFixed(2)}`);
}
