#!/usr/bin/env node
/**
 * The `caisse` command: `keys new`, `ticket inspect`, `voucher verify`, `evidence verify`. The
 * commands live in `./cli/`, as functions that take the arguments and an output sink.
 */
import { nodeIo } from './cli/io.js';
import { runCli } from './cli/main.js';

process.exitCode = await runCli(process.argv.slice(2), nodeIo());
