import { parseArgs } from 'node:util';
import { startCloud } from '../cloud.js';
import { type CloudConfigInput, loadCloudConfig } from '../config.js';

/** `coldtrace cloud`: runs until SIGINT/SIGTERM. */
export async function runCloudCli(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string' },
      database: { type: 'string' },
      'http-port': { type: 'string' },
      'mqtt-port': { type: 'string' },
    },
    strict: true,
  });
  const base: CloudConfigInput = values.config ? loadCloudConfig(values.config) : {};
  const config: CloudConfigInput = {
    ...base,
    ...(values.database ? { database: values.database } : {}),
    ...(values['http-port']
      ? { http: { ...base.http, port: port(values['http-port'], '--http-port') } }
      : {}),
  };
  if (values['mqtt-port']) {
    config.mqtt = {
      ...base.mqtt,
      embedded: { ...base.mqtt?.embedded, port: port(values['mqtt-port'], '--mqtt-port') },
    };
  }
  const cloud = await startCloud(config);
  process.stdout.write(`coldtrace cloud: API ${cloud.httpUrl}  MQTT ${cloud.mqttUrl ?? '(external)'}\n`);
  await waitForSignal();
  await cloud.close();
  return 0;
}

export function port(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`${flag} must be a port number 0..65535, got ${text}`);
  return n;
}

export function waitForSignal(): Promise<void> {
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
