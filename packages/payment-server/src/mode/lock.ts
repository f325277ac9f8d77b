import type { Mode } from '@caisse/protocol';
import type { Queryable } from '../storage/database.js';

/**
 * A payment server started in another mode than its database serves. Raised at start,
 * before any route is served.
 * @example if (error instanceof ServerModeError) console.error(`the database serves ${error.databaseMode} mode`)
 */
export class ServerModeError extends Error {
  override readonly name = 'ServerModeError';
  readonly code = 'server_mode_mismatch';
  /** The mode the database was first started in, and keeps. */
  readonly databaseMode: Mode;
  /** The mode this start asked for (`CAISSE_MODE`). */
  readonly requestedMode: Mode;

  constructor(databaseMode: Mode, requestedMode: Mode) {
    super(
      `This database serves a payment server in ${databaseMode} mode, and CAISSE_MODE is ${requestedMode}: a database keeps its mode for life, so ` +
        (databaseMode === 'test'
          ? 'play money and test keys never become live. Start a live payment server on a new database.'
          : 'real money and live keys are never used for tests. Start a payment server in test mode on a new database (an empty CAISSE_DATA_DIR, or another DATABASE_URL).'),
    );
    this.databaseMode = databaseMode;
    this.requestedMode = requestedMode;
  }
}

/**
 * Records the mode the first payment server to start on the database runs in, and refuses
 * any later start in the other one (`ServerModeError`): a test database's wallets hold
 * play money and its merchants test keys, and must never serve live payments, nor a live
 * database tests. Several instances starting at once agree: the first insert wins, the
 * others read it.
 * @example await lockServerMode(db, config.CAISSE_MODE, now())
 */
export async function lockServerMode(db: Queryable, mode: Mode, at: Date): Promise<void> {
  await db.query('INSERT INTO server_mode (mode, set_at) VALUES ($1, $2) ON CONFLICT (singleton) DO NOTHING', [mode, at]);
  // A statement of its own: read committed gives it a snapshot that sees a row another instance committed meanwhile.
  const { rows } = await db.query<{ mode: Mode }>('SELECT mode FROM server_mode');
  const recorded = rows[0]?.mode;
  if (recorded !== undefined && recorded !== mode) throw new ServerModeError(recorded, mode);
}
