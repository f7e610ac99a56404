import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startCloud } from '../../src/cloud.js';
import { type CloudModule, startModules } from '../../src/modules/cloud-module.js';
import { startTestCloud, type TestCloud } from '../helpers/test-cloud.js';

const log = pino({ level: 'silent' });

/** A module that records its start and stop in `trace`, and fails where told. */
function probe(
  name: string,
  trace: string[],
  opts: { required?: boolean; failStart?: boolean; failStop?: boolean } = {},
): CloudModule {
  return {
    name,
    required: opts.required ?? true,
    async start() {
      if (opts.failStart) throw new Error(`${name} cannot start`);
      trace.push(`start ${name}`);
    },
    async stop() {
      trace.push(`stop ${name}`);
      if (opts.failStop) throw new Error(`${name} cannot stop`);
    },
  };
}

describe('startModules', () => {
  it('starts in order and stops in reverse, each stop attempted even when one fails', async () => {
    const trace: string[] = [];
    const failures: string[] = [];
    const running = await startModules(
      [probe('a', trace), probe('b', trace, { failStop: true }), probe('c', trace)],
      { log, onFailure: (m, phase) => failures.push(`${phase} ${m}`) },
    );
    expect(running.names).toEqual(['a', 'b', 'c']);
    await running.stop();
    expect(trace).toEqual(['start a', 'start b', 'start c', 'stop c', 'stop b', 'stop a']);
    expect(failures).toEqual(['stop b']);
  });

  it('runs on without an optional module that failed to start, and counts it', async () => {
    const trace: string[] = [];
    const failures: string[] = [];
    const running = await startModules(
      [probe('a', trace), probe('sink', trace, { required: false, failStart: true }), probe('c', trace)],
      { log, onFailure: (m, phase) => failures.push(`${phase} ${m}`) },
    );
    expect(running.names).toEqual(['a', 'c']);
    expect(failures).toEqual(['start sink']);
    await running.stop();
    expect(trace).toEqual(['start a', 'start c', 'stop c', 'stop a']);
  });

  it('fails on a required module that failed to start, after stopping the ones started before it', async () => {
    const trace: string[] = [];
    await expect(
      startModules(
        [probe('a', trace), probe('b', trace), probe('http', trace, { failStart: true }), probe('d', trace)],
        {
          log,
        },
      ),
    ).rejects.toThrow('http cannot start');
    expect(trace).toEqual(['start a', 'start b', 'stop b', 'stop a']);
  });
});

describe('the cloud as modules', () => {
  let cloud: TestCloud | undefined;
  let blocker: Server | undefined;
  afterEach(async () => {
    await cloud?.stop();
    cloud = undefined;
    await new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r()));
    blocker = undefined;
  });

  it('starts evaluation, broker, sinks, outbox, calibration alarms and HTTP in that order', async () => {
    cloud = await startTestCloud();
    expect(cloud.modules).toEqual([
      'evaluation',
      'embedded broker',
      'influx sink (disabled)',
      'outbox dispatcher',
      'calibration alarms',
      'webhooks from config',
      'http',
    ]);
    expect((await cloud.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('runs retention after calibration alarms only when rawReadingsDays is set', async () => {
    const archiveDir = join(tmpdir(), 'coldtrace-modules-archives');
    cloud = await startTestCloud({ retention: { archiveDir } });
    expect(cloud.modules).not.toContain('retention');
    expect(cloud.modules).toContain('calibration alarms');
    await cloud.stop();
    cloud = await startTestCloud({ retention: { archiveDir, rawReadingsDays: 3650 } });
    expect(cloud.modules.slice(cloud.modules.indexOf('calibration alarms'))).toEqual([
      'calibration alarms',
      'retention',
      'webhooks from config',
      'http',
    ]);
    const metrics = await cloud.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('coldtrace_retention_readings_pruned_total 0');
  });

  it('refuses to start when its HTTP port is taken, and releases the broker port it had bound', async () => {
    blocker = createServer();
    await new Promise<void>((r) => blocker!.listen(0, '127.0.0.1', r));
    const httpPort = (blocker.address() as { port: number }).port;
    // A free port for the embedded broker, known in advance so the test can bind it afterwards.
    const probePort = createServer();
    await new Promise<void>((r) => probePort.listen(0, '127.0.0.1', r));
    const mqttPort = (probePort.address() as { port: number }).port;
    await new Promise<void>((r) => probePort.close(() => r()));
    const dir = mkdtempSync(join(tmpdir(), 'coldtrace-modules-'));
    try {
      await expect(
        startCloud(
          {
            database: `sqlite:${join(dir, 'cloud.db')}`,
            http: { host: '127.0.0.1', port: httpPort },
            mqtt: { embedded: { host: '127.0.0.1', port: mqttPort } },
          },
          { log },
        ),
      ).rejects.toThrow(/EADDRINUSE/);
      // The broker module had started (its port was bound) and was stopped: the port is free again.
      const again = createServer();
      await new Promise<void>((resolve, reject) => {
        again.once('error', reject);
        again.listen(mqttPort, '127.0.0.1', resolve);
      });
      await new Promise<void>((r) => again.close(() => r()));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
