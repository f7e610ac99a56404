import { cloudCounts } from './exactly-once.js';
import { waitUntil } from './processes.js';
import type { Rig } from './rig.js';

/** Readings of the rig's gateway stored in the cloud so far. */
export const storedReadings = (rig: Rig) => cloudCounts(rig.cloudDb, rig.gatewayId).readings;

/**
 * Holds the broker → gateway direction of the proxy and waits until the cloud has stored batches the
 * gateway will never see acknowledged (its in-flight window is full and the count stops growing).
 * Returns how many readings the cloud stored in that window: the gateway must send them again.
 * The caller releases the proxy (`releaseDownstream`) after its fault.
 */
export async function storeWithoutAck(rig: Rig): Promise<number> {
  rig.proxy.holdDownstream();
  const held = storedReadings(rig);
  let last = -1;
  await waitUntil(
    () => {
      const now = storedReadings(rig);
      const stable = now > held && now === last;
      last = now;
      return stable;
    },
    'the cloud to store batches the gateway cannot see acknowledged',
    20_000,
    500,
  );
  return storedReadings(rig) - held;
}

/** An LLRP pass of `n` cases, and the wait until the cloud holds `total` movements of this gateway. */
export async function passAndWait(rig: Rig, moved: string[], n: number): Promise<void> {
  moved.push(...(await rig.pass(n)));
  await waitUntil(
    () => cloudCounts(rig.cloudDb, rig.gatewayId).movements >= moved.length,
    `${moved.length} movements in the cloud`,
    30_000,
  );
}
