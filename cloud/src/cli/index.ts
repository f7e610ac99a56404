// The cloud's commands (`coldtrace cloud|gateway|audit|user`), each loaded when it runs.
export const runCloudCli = async (argv: string[]) => (await import('./cloud-cli.js')).runCloudCli(argv);
export const runGatewayCli = async (argv: string[]) => (await import('./gateway-cli.js')).runGatewayCli(argv);
export const runAuditCli = async (argv: string[]) => (await import('./audit-cli.js')).runAuditCli(argv);
export const runUserCli = async (argv: string[]) => (await import('./user-cli.js')).runUserCli(argv);
