/** `coldtrace sim llrp|modbus|scenario`. */
export async function runSimCli(argv: string[]): Promise<number> {
  const [kind, ...rest] = argv;
  switch (kind) {
    case 'llrp':
      await (await import('./llrp/cli.js')).runLlrpSimCli(rest);
      return 0;
    case 'modbus':
      await (await import('./modbus/cli.js')).runModbusSimCli(rest);
      return 0;
    case 'scenario':
      return (await import('./scenario/scenario-cli.js')).runScenarioCli(rest);
    default:
      throw new Error('usage: coldtrace sim llrp|modbus|scenario …');
  }
}
