import type { Stream } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { expect } from 'vitest';
import { cloudCounts, cloudEpcs } from './exactly-once.js';
import type { Rig } from './rig.js';

/**
 * How the fault tests poll: the probes open the cloud's SQLite file or ask a process over HTTP, so every
 * 50 ms; the deadline only bounds a wait that would otherwise hang (a child process restarting can take
 * seconds on a loaded machine).
 */
export const POLL = { timeoutMs: 60_000, intervalMs: 50 } as const;

/** Readings of the rig's gateway stored in the cloud so far. */
export const storedReadings = (rig: Rig) => cloudCounts(rig.cloudDb, rig.gatewayId).readings;

/** The gateway's last assigned sequence per stream, from its `/healthz`. */
export async function gatewaySeqs(rig: Rig): Promise<Record<Stream, number>> {
  const last = (await rig.gw.health()).gateway.backlog?.lastSeq ?? {};
  return { readings: last.readings ?? 0, movements: last.movements ?? 0, alarms: last.alarms ?? 0 };
}

/**
 * Holds the broker → gateway direction of the proxy and waits until the cloud has stored at least one
 * more reading. Returns the count of stored readings when the hold began: every reading stored after it
 * has its PUBACK held, because the embedded broker acknowledges a publish only after the store committed
 * it, so the gateway must send each of them again. `storedReadings(rig) - held`, read once the fault
 * has cut the gateway off (the gateway killed, the cloud killed or the uplink cut), is therefore a lower
 * bound of the duplicates the cloud must count; more may still be stored while the cloud finishes what
 * reached it, and those come again as well. The caller drops or releases the hold after its fault.
 */
export async function holdAcks(rig: Rig): Promise<number> {
  rig.proxy.holdDownstream();
  const held = storedReadings(rig);
  await until(() => storedReadings(rig) > held, 'the cloud to store a batch whose PUBACK is held', POLL);
  return held;
}

/** An LLRP pass of `n` cases, and the wait until the cloud holds `total` movements of this gateway. */
export async function passAndWait(rig: Rig, moved: string[], n: number): Promise<void> {
  moved.push(...(await rig.pass(n)));
  await until(
    () => cloudCounts(rig.cloudDb, rig.gatewayId).movements >= moved.length,
    `${moved.length} movements in the cloud`,
    POLL,
  );
}

/**
 * Every case that passed the door reached the cloud as a movement. Delivery itself is checked record by
 * record (`verifyExactlyOnce`); how many movements the portal logic makes of the crossings is its own
 * concern, and this gateway runs it on its wall clock, so the count is checked exactly only on a manual
 * clock (pipeline.int.test.ts). Here: at least one movement per case, and every case in the cloud.
 */
export function expectEveryCaseMoved(rig: Rig, lastMovementSeq: number, moved: readonly string[]): void {
  expect(lastMovementSeq).toBeGreaterThanOrEqual(moved.length);
  expect([...cloudEpcs(rig.cloudDb, rig.gatewayId)].sort()).toEqual([...new Set(moved)].sort());
}
