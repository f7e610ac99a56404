import { dirname, join } from 'node:path';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { CloudStore, createDemoUser, openDatabase } from '@coldtrace/cloud';
import { errorMessage } from '@coldtrace/shared';
import { loadScenario } from '../load-scenario.js';
import { runScenario } from '../runner.js';
import { portOrFree } from './free-port.js';

/** The demo journey scenario played by `npm run demo`. */
export const DEMO_SCENARIO = join(
  dirname(fileURLToPath(import.meta.url)),
  '../../scenarios/demo-journey.yaml',
);

export interface DemoOptions {
  /** Stop after this many seconds; undefined = run until `signal` aborts. */
  durationS?: number | undefined;
  /** Keep the data directory (SQLite files, logs) after the run. */
  keep?: boolean;
  dataDir?: string | undefined;
  httpPort?: number;
  mqttPort?: number;
  /** Human-readable progress goes here (nothing when undefined). */
  out?: Writable | undefined;
  signal?: AbortSignal | undefined;
  /** Another scenario file instead of the demo journey. */
  scenarioFile?: string;
}

export interface DemoSummary {
  readings: number;
  movements: number;
  excursions: number;
  deadLetters: number;
  alarms: number;
  /** Units (EPCs) under an active lock at the end. */
  lockedUnits: number;
  /** Each lot of the scenario as the cloud's lot API shows it at the end (null: the cloud does not know it). */
  lots: Array<{ id: string; units: number; locked: number } | { id: string; units: null; locked: null }>;
  gateways: Array<{ id: string; online: boolean; backlog: number | null }>;
  excursionDetails: Array<{
    id: string;
    locationId: string;
    startTs: number;
    endTs: number | null;
    peakC: number;
    critical: boolean;
  }>;
  url: string;
  mqttUrl: string;
  /** The QA user the demo created, to log in to the pages and sign dispositions. */
  qaLogin: { url: string; username: string; password: string } | null;
  dataDir: string | null;
  durationS: number;
  /**
   * How much of the scenario was played (a short `--duration` stops the journey before its end), and
   * where the data clock was stopped after it (epoch ms; null when the journey did not end).
   */
  journey: { simulatedH: number; totalH: number; completed: boolean; dataClockStoppedAt: number | null };
}

/** Creates the demo's QA user in the cloud's database (the cloud runs in a child process). */
async function createQaUser(dataDir: string, httpUrl: string): Promise<DemoSummary['qaLogin']> {
  const store = new CloudStore(await openDatabase(`sqlite:${join(dataDir, 'cloud.db')}`));
  try {
    const login = await createDemoUser(
      store,
      { username: 'qa', printedName: 'Demo QA Reviewer', roles: ['qa'] },
      Date.now(),
    );
    return login ? { url: `${httpUrl}/login`, username: login.username, password: login.password } : null;
  } finally {
    await store.close();
  }
}

/** The line that tells a person the journey is over and how to sign in to the QA pages. */
export function journeyDoneLine(httpUrl: string, login: DemoSummary['qaLogin']): string {
  return login
    ? `journey done: open ${login.url} and sign in as ${login.username} (password ${login.password})`
    : `journey done: open ${httpUrl}/login and sign in as a QA user of this data directory`;
}

/**
 * `npm run demo`: plays the demo journey scenario (cold room → truck with a failing reefer and three
 * hours without uplink → store) through the scenario runner: the cloud (embedded aedes + SQLite), three
 * gateways, the LLRP reader simulators over TCP and the Modbus sensor buses on pseudo-terminals, all on
 * the scenario clock. When the journey is over the site is shut down and the data clock stops at the
 * journey's end (the cloud's sessions and e-signatures were never on it); the cloud keeps serving the
 * QA pages until `durationS` or `signal`.
 */
export async function runDemo(opts: DemoOptions = {}): Promise<DemoSummary> {
  const started = Date.now();
  const say = (line: string) => opts.out?.write(`${line}\n`);
  const loaded = loadScenario(opts.scenarioFile ?? DEMO_SCENARIO);
  const httpPort = opts.httpPort ?? (await portOrFree(8080));
  const mqttPort = opts.mqttPort ?? (await portOrFree(1883));
  let qaLogin: Promise<DemoSummary['qaLogin']> = Promise.resolve(null);
  const run = await runScenario(loaded, {
    keep: opts.keep,
    dataDir: opts.dataDir,
    httpPort,
    mqttPort,
    signal: opts.signal,
    say,
    progress: opts.out !== undefined,
    holdRealMs: Number.POSITIVE_INFINITY,
    realLimitMs: opts.durationS !== undefined ? opts.durationS * 1000 : undefined,
    onJourneyDone: async ({ httpUrl, dataClockStoppedAt }) => {
      say(
        `the data clock stands at ${new Date(dataClockStoppedAt).toISOString()}, the journey's end (the site is ` +
          'shut down); sessions, e-signatures and report times follow the wall clock',
      );
      say(journeyDoneLine(httpUrl, await qaLogin));
    },
    onReady: ({ httpUrl, mqttUrl, dataDir }) => {
      say(`coldtrace demo: cloud API ${httpUrl}  (MQTT ${mqttUrl}; data in ${dataDir})`);
      qaLogin = createQaUser(dataDir, httpUrl).then(
        (login) => {
          if (login) say(`QA pages: log in at ${login.url} as ${login.username} / ${login.password}`);
          return login;
        },
        (err) => {
          say(`could not create the demo QA user: ${errorMessage(err)}`);
          return null;
        },
      );
    },
  });
  const o = run.observed;
  const hours = (ms: number) => Math.round(ms / 360_000) / 10;
  const journey = {
    simulatedH: hours(run.simulatedMs),
    totalH: hours(loaded.scenario.duration),
    completed: run.simulatedMs >= loaded.scenario.duration,
    dataClockStoppedAt: run.dataClockStoppedAt,
  };
  if (!journey.completed) {
    say(
      `note: stopped after ${journey.simulatedH} h of the ${journey.totalH} h journey (--duration too short ` +
        'for the whole scenario): the counts cover only what was played',
    );
  }
  return {
    readings: o.counts.readings,
    movements: o.counts.movements,
    excursions: o.counts.excursions,
    deadLetters: o.counts.deadLetters,
    alarms: o.counts.alarms,
    lockedUnits: new Set((o.locks ?? []).filter((l) => l.state === 'active').map((l) => l.epc)).size,
    lots: loaded.scenario.lots.map((l) => {
      const u = o.lots[l.id]?.units;
      return u ? { id: l.id, units: u.total, locked: u.locked } : { id: l.id, units: null, locked: null };
    }),
    gateways: run.gateways,
    excursionDetails: o.excursions.map((e) => ({
      id: e.id,
      locationId: e.locationId,
      startTs: o.startMs + e.startMs,
      endTs: e.endMs === null ? null : o.startMs + e.endMs,
      peakC: e.peakC,
      critical: e.critical,
    })),
    url: run.httpUrl,
    mqttUrl: run.mqttUrl,
    qaLogin: await qaLogin,
    dataDir: run.dataDir,
    durationS: Math.round((Date.now() - started) / 100) / 10,
    journey,
  };
}
