import packageJson from '../../package.json' with { type: 'json' };
import { MIGRATIONS } from '../storage/migrations/index.js';

/** What `caisse-server --version` answers. */
export interface VersionInfo {
  /** The version of `@caisse/payment-server` (bundled into `dist/cli.js` at build time). */
  version: string;
  /** The latest migration this version knows: the schema `migrate` brings a database to. */
  schema: number;
}

/** @example versionInfo() // { version: '0.1.0', schema: 31 } */
export function versionInfo(): VersionInfo {
  return { version: packageJson.version, schema: MIGRATIONS.at(-1)?.version ?? 0 };
}
