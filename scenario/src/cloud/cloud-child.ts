/**
 * The scenario's cloud in its own process (`fork` with tsx), for the scaled real-time clock: the
 * embedded broker, ingest, domain engine and SQLite store run here so that their synchronous database
 * work never stalls the gateways' polling and the simulators' answers in the runner process (a stall
 * there would move reading timestamps by whole ticks). Driven over IPC by `cloud-host.ts`.
 */
import { errorMessage, type ScenarioClockParams, scenarioClock } from '@coldtrace/shared';
import { type StoppableClock, stoppableClock } from '../stoppable-clock.js';
import { type CloudStartInput, type ScenarioCloud, startScenarioCloud } from './scenario-cloud.js';

export type CloudRequest =
  | { id: number; type: 'start'; input: CloudStartInput }
  | { id: number; type: 'begin'; realAnchorMs: number }
  | { id: number; type: 'stop-clock' }
  | { id: number; type: 'counts' }
  | { id: number; type: 'gateway-status'; gatewayId: string }
  | { id: number; type: 'observe' }
  | { id: number; type: 'close' };

let cloud: ScenarioCloud | undefined;
const params: ScenarioClockParams = {
  startMs: 0,
  realAnchorMs: Number.POSITIVE_INFINITY,
  scale: 1,
  tickMs: 0,
};
/** The cloud's data clock: the scenario clock on the shared anchor, stopped after the journey. */
let clock: StoppableClock | undefined;

function need(): ScenarioCloud {
  if (!cloud) throw new Error('cloud not started');
  return cloud;
}

async function handle(req: CloudRequest): Promise<unknown> {
  switch (req.type) {
    case 'start': {
      const { input } = req;
      Object.assign(params, { startMs: input.startMs, scale: input.scale, tickMs: input.tickMs });
      clock = stoppableClock(scenarioClock(params));
      cloud = await startScenarioCloud(input, clock);
      return { httpUrl: cloud.httpUrl, mqttUrl: cloud.mqttUrl, secrets: cloud.secrets };
    }
    case 'begin':
      params.realAnchorMs = req.realAnchorMs;
      return null;
    case 'stop-clock':
      if (!clock) throw new Error('cloud not started');
      return clock.stop();
    case 'counts':
      return need().counts();
    case 'gateway-status':
      return need().gatewayStatus(req.gatewayId);
    case 'observe':
      return need().observe();
    case 'close':
      await cloud?.close();
      cloud = undefined;
      return null;
  }
}

process.on('message', (req: CloudRequest) => {
  handle(req).then(
    (value) => process.send?.({ id: req.id, ok: true, value }),
    (err) => process.send?.({ id: req.id, ok: false, error: errorMessage(err) }),
  );
});
// Ctrl-C in a terminal signals the whole process group, this child too: the runner (the parent) ends the
// scenario and then closes this cloud over IPC, so SIGINT is its to handle (a dead parent disconnects).
process.on('SIGINT', () => {});
process.on('disconnect', () => {
  void (cloud?.close() ?? Promise.resolve()).finally(() => process.exit(0));
});
