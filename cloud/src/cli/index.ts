// The cloud's commands (`coldtrace cloud|gateway|audit|archive|user`): their declarations, and each command's
// module loaded only when it runs.
export {
  ARCHIVE_COMMANDS,
  ARCHIVE_CREATE_COMMAND,
  ARCHIVE_LIST_COMMAND,
  ARCHIVE_RESTORE_COMMAND,
  ARCHIVE_VERIFY_COMMAND,
  AUDIT_CHECKPOINT_COMMAND,
  AUDIT_COMMANDS,
  AUDIT_KEYGEN_COMMAND,
  AUDIT_VERIFY_COMMAND,
  CLOUD_COMMAND,
  GATEWAY_ADD_COMMAND,
  GATEWAY_COMMANDS,
  USER_ADD_COMMAND,
  USER_COMMANDS,
  USER_LIST_COMMAND,
  USER_TOKEN_COMMAND,
} from './commands.js';
export const runCloudCli = async (argv: string[]) => (await import('./cloud-cli.js')).runCloudCli(argv);
export const runGatewayCli = async (argv: string[]) => (await import('./gateway-cli.js')).runGatewayCli(argv);
export const runAuditCli = async (argv: string[]) => (await import('./audit-cli.js')).runAuditCli(argv);
export const runUserCli = async (argv: string[]) => (await import('./user-cli.js')).runUserCli(argv);
export const runArchiveCli = async (argv: string[]) => (await import('./archive-cli.js')).runArchiveCli(argv);
