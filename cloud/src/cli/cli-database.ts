import { loadCloudConfig } from '../config.js';

/** Where a command's database is when neither `--database` nor `--config` says. */
export const DEFAULT_DATABASE = 'sqlite:.data/cloud.db';

/**
 * The database a command works on: `--database`, else the `database` of the `--config` file (the same file
 * the cloud runs with, so a command never writes to another database than the cloud reads), else the
 * default. A config that cannot be read or is invalid fails the command with the file's name.
 */
export function databaseOf(values: { database?: string | undefined; config?: string | undefined }): string {
  if (values.database) return values.database;
  if (values.config) return loadCloudConfig(values.config).database;
  return DEFAULT_DATABASE;
}
