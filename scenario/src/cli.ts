// The scenario workspace's commands (`coldtrace demo`, `coldtrace sim scenario`), each loaded when it runs.
export const runDemoCli = async (argv: string[]) => (await import('./demo/demo-cli.js')).runDemoCli(argv);
export const runScenarioCli = async (argv: string[]) =>
  (await import('./scenario-cli.js')).runScenarioCli(argv);
