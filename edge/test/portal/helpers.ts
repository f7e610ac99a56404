import { type LlrpSimulator, type LlrpSimulatorOptions, startLlrpSimulator } from '@coldtrace/firmware-sim';
import { type Clock, type ManualClock, manualClock, type ReaderHealth } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { pino } from 'pino';
import type { GatewayContext, NewMovement } from '../../src/module.js';
import { type PortalConfigInput, portalConfigSchema } from '../../src/portal/portal-config.js';
import { createPortalModule, type PortalModule } from '../../src/portal/portal-module.js';

/** A gateway context whose RecordSink collects movements in memory (the buffer is not under test). */
export function collectingContext(clock: Clock) {
  const movements: NewMovement[] = [];
  const health: ReaderHealth[] = [];
  const ctx: GatewayContext = {
    gatewayId: 'gw-test',
    clock,
    log: pino({ level: 'silent' }),
    records: {
      readings: () => {},
      movements: (m) => {
        movements.push(...(m as NewMovement[])); // portals write RFID movements only, no scans
      },
      alarms: () => {},
    },
    health: { reader: (h) => health.push(h), sensor: () => {} },
    onReadings: () => () => {},
  };
  return { ctx, movements, health };
}

/** Scenario time moves in steps of the simulator's own read tick. */
const STEP_MS = 20;

export interface PortalRig {
  clock: ManualClock;
  sim: LlrpSimulator;
  mod: PortalModule;
  movements: NewMovement[];
  health: ReaderHealth[];
  connected(): boolean;
  /** Every tag read and keepalive the reader sent has reached the portal, and the keepalives are acked. */
  caughtUp(): boolean;
  /** Moves scenario time by `ms` in steps, each once the portal has caught up with the reader. */
  run(ms: number): Promise<void>;
  /** Runs until a scripted pass, presence or stray (a promise of the simulator's) has been played. */
  play(script: Promise<void>): Promise<void>;
}

/**
 * The LLRP simulator and the portal module on one manual clock, over real TCP. Time moves only when the
 * test moves it, and only once what the reader sent by then has arrived: a dwell window is scenario time,
 * so how fast the machine runs cannot split a crossing or merge two.
 */
export async function portalRig(
  cleanups: (() => Promise<void>)[],
  simOptions: LlrpSimulatorOptions,
  config: PortalConfigInput,
): Promise<PortalRig> {
  const clock = manualClock(1_767_225_600_000);
  const sim = await startLlrpSimulator({ ...simOptions, clock });
  cleanups.push(() => sim.close());
  const { ctx, movements, health } = collectingContext(clock);
  const mod = createPortalModule(
    portalConfigSchema.parse({ ...config, reader: { ...config.reader, port: sim.port } }),
  );
  await mod.start(ctx);
  cleanups.push(() => mod.stop());
  const connected = () => health.at(-1)?.state === 'connected';
  const caughtUp = () =>
    mod.stats.tagReads === sim.stats.tagsReported && sim.stats.keepaliveAcks === sim.stats.keepalivesSent;
  const step = async () => {
    clock.advance(STEP_MS);
    await until(caughtUp, 'the portal caught up with the reader');
  };
  await until(connected, 'reader connected');
  return {
    clock,
    sim,
    mod,
    movements,
    health,
    connected,
    caughtUp,
    async run(ms) {
      for (let t = 0; t < ms; t += STEP_MS) await step();
    },
    async play(script) {
      let outcome: { error?: unknown } | undefined;
      script.then(
        () => {
          outcome = {};
        },
        (error: unknown) => {
          outcome = { error };
        },
      );
      while (!outcome) await step();
      if ('error' in outcome) throw outcome.error;
    },
  };
}
