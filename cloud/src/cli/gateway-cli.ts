import { parseArgs } from 'node:util';
import { idSchema, systemClock } from '@coldtrace/shared';
import { registerGateway } from '../gateways/register-gateway.js';
import { CloudStore } from '../store/cloud-store.js';
import { openDatabase } from '../store/db.js';
import { cliActor } from './cli-actor.js';

/** `coldtrace gateway add <id>`: registers a gateway and prints its MQTT secret once. */
export async function runGatewayCli(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { name: { type: 'string' }, database: { type: 'string', default: 'sqlite:.data/cloud.db' } },
    allowPositionals: true,
    strict: true,
  });
  const [action, id] = positionals;
  if (action !== 'add' || !id)
    throw new Error('usage: coldtrace gateway add <id> [--name N] [--database URL]');
  const parsed = idSchema.safeParse(id);
  if (!parsed.success) throw new Error(`gateway id ${JSON.stringify(id)} ${parsed.error.issues[0]?.message}`);
  const store = new CloudStore(await openDatabase(values.database));
  try {
    const secret = await registerGateway(store, {
      id,
      name: values.name ?? null,
      now: systemClock.now(),
      actor: cliActor(),
    });
    process.stdout.write(
      `gateway ${id} registered.\nMQTT username: ${id}\nMQTT password: ${secret}\n(shown once; put it in the gateway config as mqtt.password or mqtt.passwordFile)\n`,
    );
  } finally {
    await store.close();
  }
  return 0;
}
