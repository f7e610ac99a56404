import { describe, expect, it } from 'vitest';
import type { WorldGateway } from '../../src/scenario-world.js';
import { busBusy, uplinkBusy } from '../../src/virtual/world-activity.js';

interface Facts {
  /** Gateway side: polls begun, requests sent, polls finished. */
  polls?: number;
  requests?: number;
  finished?: number;
  /** Bus side. */
  frames?: number;
  lastSilent?: boolean;
  pendingBytes?: number;
  answersPending?: number;
  timeoutClock?: 'real' | 'gateway';
  /** Uplink. */
  cut?: boolean;
  connected?: boolean;
  inflight?: number;
  stopped?: boolean;
}

/** A gateway as the rest check reads it: only the counters and flags it looks at. */
function gateway(f: Facts): WorldGateway {
  const stats = {
    polls: f.polls ?? 0,
    requests: f.requests ?? 0,
    readingsOk: f.finished ?? 0,
    readingsError: 0,
  };
  return {
    id: 'gw',
    proxy: { isCut: f.cut ?? false },
    bus: {
      activity: {
        frames: f.frames ?? 0,
        lastSilent: f.lastSilent ?? false,
        pendingBytes: f.pendingBytes ?? 0,
        answersPending: f.answersPending ?? 0,
      },
    },
    inProcess: {
      config: { modbus: [{ timeoutClock: f.timeoutClock ?? 'gateway' }] },
      modules: [{ name: 'modbus:gw-bus', stats, sensorHealth: () => [] }, { name: 'portal:door' }],
      publisher: {
        connected: f.connected ?? true,
        inflight: () => ({ readings: f.inflight ?? 0, movements: 0, alarms: 0 }),
      },
    },
    stopped: f.stopped ?? false,
  } as unknown as WorldGateway;
}

describe('the rest check of a gateway', () => {
  it.each<[string, Facts, RegExp | undefined]>([
    ['no poll running', { polls: 3, requests: 3, finished: 3, frames: 3 }, undefined],
    [
      'a request on its way to the bus',
      { polls: 4, requests: 4, finished: 3, frames: 3 },
      /request is on its way/,
    ],
    [
      'part of a request framed',
      { polls: 4, requests: 4, finished: 3, frames: 3, pendingBytes: 5 },
      /5 byte/,
    ],
    [
      'the answer being written',
      { polls: 4, requests: 4, finished: 3, frames: 4, answersPending: 1 },
      /being written/,
    ],
    [
      'the answer on its way to the gateway',
      { polls: 4, requests: 4, finished: 3, frames: 4 },
      /answer is on its way/,
    ],
    [
      'a silent sensor, timed out on the gateway clock: at rest (its timeout is a timer of the clock)',
      { polls: 4, requests: 4, finished: 3, frames: 4, lastSilent: true },
      undefined,
    ],
    [
      "a silent sensor timed out by the serial library's real-time timer",
      { polls: 4, requests: 4, finished: 3, frames: 4, lastSilent: true, timeoutClock: 'real' },
      /real clock/,
    ],
  ])('sensor bus: %s', (_case, facts, busy) => {
    const why = busBusy(gateway(facts));
    if (busy) expect(why).toMatch(busy);
    else expect(why).toBeUndefined();
  });

  it.each<[string, Facts, RegExp | undefined]>([
    ['connected, nothing in flight', {}, undefined],
    ['batches awaiting PUBACK', { inflight: 2 }, /2 batch\(es\) awaiting PUBACK/],
    ['not connected while the uplink is up', { connected: false }, /connecting to the broker/],
    ['not connected while the uplink is cut', { connected: false, cut: true }, undefined],
    ['stopped by the runner', { connected: false, stopped: true }, undefined],
  ])('uplink: %s', (_case, facts, busy) => {
    const why = uplinkBusy(gateway(facts));
    if (busy) expect(why).toMatch(busy);
    else expect(why).toBeUndefined();
  });
});
