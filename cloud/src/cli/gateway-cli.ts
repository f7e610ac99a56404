import { idSchema, systemClock } from '@coldtrace/shared';
import { parseCommand, pickCommand } from '@coldtrace/shared/cli';
import { registerGateway } from '../gateways/register-gateway.js';
import { CloudStore } from '../store/cloud-store.js';
import { openDatabase } from '../store/db.js';
import { cliActor } from './cli-actor.js';
import { databaseOf } from './cli-database.js';
import { GATEWAY_ADD_COMMAND, GATEWAY_COMMANDS } from './commands.js';

/** `coldtrace gateway add <id>`: registers a gateway and prints its MQTT secret once. */
export async function runGatewayCli(argv: string[]): Promise<number> {
  const { values, args, fail } = parseCommand(GATEWAY_ADD_COMMAND, pickCommand(GATEWAY_COMMANDS, argv).argv);
  const { id } = args;
  const parsed = idSchema.safeParse(id);
  if (!parsed.success) fail(`gateway id ${JSON.stringify(id)} ${parsed.error.issues[0]?.message}`);
  const store = new CloudStore(await openDatabase(databaseOf(values)));
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
