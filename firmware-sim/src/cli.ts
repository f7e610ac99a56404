/** `coldtrace sim llrp|modbus` (`sim scenario` belongs to the scenario workspace). */
export async function runSimCli(argv: string[]): Promise<number> {
  const [kind, ...rest] = argv;
  switch (kind) {
    case 'llrp':
      await (await import('./llrp/cli.js')).runLlrpSimCli(rest);
      return 0;
    case 'modbus':
      await (await import('./modbus/cli.js')).runModbusSimCli(rest);
      return 0;
    default:
      throw new Error('usage: coldtrace sim llrp|modbus|scenario …');
  }
}
