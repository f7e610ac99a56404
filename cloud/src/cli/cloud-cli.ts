import { parseCommand } from '@coldtrace/shared/cli';
import { startCloud } from '../cloud.js';
import { type CloudConfigInput, loadCloudConfig } from '../config.js';
import { CLOUD_COMMAND } from './commands.js';

/** `coldtrace cloud`: runs until SIGINT/SIGTERM. */
export async function runCloudCli(argv: string[]): Promise<number> {
  const { values, fail } = parseCommand(CLOUD_COMMAND, argv);
  const port = (flag: 'http-port' | 'mqtt-port'): number | undefined => {
    const text = values[flag];
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0 || n > 65535)
      fail(`--${flag} must be a port number 0..65535, got ${text}`);
    return n;
  };
  const httpPort = port('http-port');
  const mqttPort = port('mqtt-port');
  const base: CloudConfigInput = values.config ? loadCloudConfig(values.config) : {};
  const config: CloudConfigInput = {
    ...base,
    ...(values.database ? { database: values.database } : {}),
    ...(httpPort !== undefined ? { http: { ...base.http, port: httpPort } } : {}),
  };
  if (mqttPort !== undefined) {
    config.mqtt = { ...base.mqtt, embedded: { ...base.mqtt?.embedded, port: mqttPort } };
  }
  const cloud = await startCloud(config);
  process.stdout.write(`coldtrace cloud: API ${cloud.httpUrl}  MQTT ${cloud.mqttUrl ?? '(external)'}\n`);
  await waitForSignal();
  await cloud.close();
  return 0;
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      resolve();
    };
    process.on('SIGINT', done);
    process.on('SIGTERM', done);
  });
}
