import { type RunningServer, runCommand } from '../cli/commands.js';
import { type AdminSocket, startAdminSocket } from './serve.js';

/**
 * Serves `caisse-server` commands on `<CAISSE_DATA_DIR>/admin.sock` for a server started
 * in code rather than by `caisse-server start` (the demo, an embedding app), so the
 * operator's commands work while it holds the embedded database. Undefined with
 * PostgreSQL, where commands open their own connection.
 * @example const admin = await serveAdminCommands({ server, config }); … await admin?.close(); await server.close();
 */
export function serveAdminCommands(running: RunningServer): Promise<AdminSocket | undefined> {
  return startAdminSocket(running, runCommand);
}
