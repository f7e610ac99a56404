import { isModbusBusModule } from '@coldtrace/edge';
import type { ScenarioWorld, WorldGateway } from '../scenario-world.js';
import type { QuiescentWorld } from './discrete-events.js';

/** Real ms the world may stay busy before a turn waits for I/O (poll phase) instead of spinning. */
const SPIN_REAL_MS = 0.5;

/**
 * Why a gateway's sensor bus is not at rest: bytes of a request or an answer between the gateway and the
 * simulated bus, or a poll waiting for an answer that is coming. A poll waiting for a silent sensor is at
 * rest when the gateway times its Modbus requests on its own clock (`timeoutClock: gateway`): its timeout
 * is then a timer of the discrete-event clock, due like any other.
 */
export function busBusy(g: WorldGateway): string | undefined {
  const bus = g.bus?.activity;
  if (!bus) return undefined;
  const timeoutOnClock = g.inProcess?.config.modbus.every((b) => b.timeoutClock === 'gateway') === true;
  if (bus.pendingBytes > 0) return `${g.id}: ${bus.pendingBytes} byte(s) of a Modbus request being framed`;
  if (bus.answersPending > 0) return `${g.id}: a Modbus answer is being written`;
  for (const m of g.inProcess?.modules ?? []) {
    if (!isModbusBusModule(m)) continue;
    const c = m.stats;
    const inPoll = c.polls - c.readingsOk - c.readingsError;
    if (inPoll <= 0) continue;
    if (c.requests > bus.frames) return `${g.id}: a Modbus request is on its way to the bus`;
    if (!bus.lastSilent) return `${g.id}: a Modbus answer is on its way to the gateway`;
    if (!timeoutOnClock) return `${g.id}: a silent sensor's Modbus timeout runs on the real clock`;
  }
  return undefined;
}

/** Why a gateway's uplink is not at rest: a connection to (re-)establish, or batches awaiting PUBACK. */
export function uplinkBusy(g: WorldGateway): string | undefined {
  const gw = g.inProcess;
  if (!gw || g.stopped) return undefined;
  if (g.proxy.isCut) return undefined;
  // MQTT.js reconnects on its own real-time timer: time waits for it (it is no scenario event).
  if (!gw.publisher.connected) return `${g.id}: (re)connecting to the broker`;
  const inflight = Object.values(gw.publisher.inflight()).reduce((a, b) => a + b, 0);
  if (inflight > 0) return `${g.id}: ${inflight} batch(es) awaiting PUBACK`;
  return undefined;
}

export interface WorldActivity extends QuiescentWorld {
  /** Actions that must finish before time moves (a rogue device's publishes: no scenario time passes). */
  hold<T>(p: Promise<T>): Promise<T>;
}

/**
 * The discrete-event clock's view of the in-process world: every loopback TCP link (uplink proxies,
 * broker, reader links, HTTP; `w.watch.sockets`), each gateway's sensor bus and uplink, and the cloud's
 * own work (`w.watch.cloud`). `busy()` names the first thing not at rest.
 */
export function watchWorld(w: ScenarioWorld): WorldActivity {
  const { sockets, cloud } = w.watch ?? {};
  let held = 0;
  let busySince: number | undefined;
  const check = (): string | undefined => {
    if (held > 0) return `${held} scenario action(s) in progress`;
    // Cheap counters first; the socket scan last.
    for (const g of w.gateways.values()) {
      const why = busBusy(g) ?? uplinkBusy(g);
      if (why) return why;
    }
    const working = cloud?.busy();
    if (working) return `the cloud is working: ${working}`;
    return sockets?.busy(w.ports);
  };
  return {
    busy() {
      const why = check();
      if (why === undefined) busySince = undefined;
      else busySince ??= performance.now();
      return why;
    },
    turn() {
      // While something is in flight (socat relaying, another process), wait in the poll phase for I/O
      // rather than spinning the CPU that process needs.
      if (busySince !== undefined && performance.now() - busySince > SPIN_REAL_MS)
        return new Promise((resolve) => setTimeout(resolve, 1));
      return new Promise((resolve) => setImmediate(resolve));
    },
    async hold(p) {
      held++;
      try {
        return await p;
      } finally {
        held--;
      }
    },
  };
}
