import { startLlrpSimulator } from '@coldtrace/firmware-sim';
import { until } from '@coldtrace/shared/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { LlrpReaderConnector } from '../../src/llrp/connector.js';
import type { RadioSettings } from '../../src/llrp/radio-plan.js';
import { localReader } from './local-reader.js';

const closers: (() => unknown)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

/** Zebra Technologies' IANA Private Enterprise Number: a reader that is not an Impinj reader. */
const ZEBRA = 10642;

/** A simulated reader claiming `manufacturer` and a connector with `radio` for the portal's 4 antennas. */
async function connect(manufacturer: number | undefined, radio: RadioSettings) {
  const sim = await startLlrpSimulator(manufacturer === undefined ? {} : { manufacturer });
  closers.push(() => sim.close());
  const retries: string[] = [];
  const c = new LlrpReaderConnector({
    ...localReader(sim.port),
    reconnect: { initialMs: 50, maxMs: 200 },
    rospecId: 3,
    antennas: [1, 2, 3, 4],
    reportEveryTags: 1,
    radio,
    onTags: () => {},
    onRetry: (r) => retries.push(r.error),
  });
  closers.push(() => c.stop());
  c.start();
  return { sim, c, retries };
}

describe('Gen2 search mode (Impinj ImpinjInventorySearchMode) from the portal config', () => {
  it('an Impinj reader gets it on every antenna of the portal, with the other settings', async () => {
    const { sim, c } = await connect(undefined, {
      searchMode: 'single-target-suppression',
      session: 1,
      antennas: { '4': { txPowerDbm: 15 } },
    });
    await sim.waitActive();
    await until(() => c.state === 'connected', 'connected');
    expect(sim.appliedRadio()).toEqual({
      txPowerDbm: new Map([[4, 15]]),
      searchMode: new Map([1, 2, 3, 4].map((a) => [a, 'single-target-suppression'])),
    });
  });

  it('any other reader with a search mode set is a config error at connect; reader-default sends none', async () => {
    const refused = await connect(ZEBRA, { searchMode: 'dual-target' });
    await until(() => refused.retries.length >= 2, 'the setup refused, and again after the backoff');
    expect(refused.retries[0]).toBe(
      'radio settings the reader cannot do: searchMode dual-target is an Impinj extension ' +
        '(ImpinjInventorySearchMode) and this reader is not an Impinj reader (DeviceManufacturerName ' +
        `${ZEBRA}, Impinj is 25882); use reader-default or leave searchMode out`,
    );
    expect(refused.c.state).not.toBe('connected');
    expect(refused.sim.appliedRadio()).toBeNull();

    const plain = await connect(ZEBRA, { searchMode: 'reader-default', session: 2 });
    await plain.sim.waitActive();
    await until(() => plain.c.state === 'connected', 'connected');
    expect(plain.retries).toEqual([]);
    expect(plain.sim.appliedRadio()?.searchMode).toEqual(new Map());
  });
});
