import { type ClockTimer, errorMessage } from '@coldtrace/shared';
import type { TagRead } from '@coldtrace/shared/llrp';
import { LlrpReaderConnector, type ReaderState } from '../llrp/connector.js';
import { type ClockNews, ReaderClock } from '../llrp/reader-clock.js';
import type { GatewayContext, GatewayModule, NewAlarm, NewMovement } from '../module.js';
import type { PortalConfig } from './portal-config.js';
import { PortalLogic } from './portal-logic.js';
import type { PortalReport } from './portal-report.js';

export interface PortalStats {
  /** Tag reads the reader reported and the portal logic took in. */
  tagReads: number;
  /** Movements handed to the record sink. */
  movements: number;
}

export interface PortalModule extends GatewayModule {
  readonly stats: PortalStats;
  /** Counters and the reader clock for `/metrics`. */
  report(): PortalReport;
  /** alarmIds currently raised (the reader clock's), for the gateway's `status.activeAlarms`. */
  activeAlarms(): string[];
}

/**
 * A dock-door portal: runs the LLRP reader connector, feeds its tag reports through the portal logic
 * and hands finished movements to the gateway buffer. Never throws out of its callbacks.
 */
export function createPortalModule(config: PortalConfig): PortalModule {
  const stats: PortalStats = { tagReads: 0, movements: 0 };
  let connector: LlrpReaderConnector | null = null;
  /** The counters of the latest connector (kept after stop: /metrics counters do not go back). */
  let connectorStats: LlrpReaderConnector['stats'] | undefined;
  let logic: PortalLogic | null = null;
  let sweepTimer: ClockTimer | undefined;
  let context: GatewayContext | null = null;
  const readerId = `${config.id}-reader`;
  const clockAlarmId = `reader_clock_skew:${config.id}`;
  const readerClock = new ReaderClock({
    policy: config.reader.clock.policy,
    maxSkewMs: config.reader.clock.maxSkewMs,
    stepMs: config.reader.clock.stepMs ?? config.dwellMs,
    windowMs: config.reader.clock.windowMs,
  });

  const emit = (movements: NewMovement[]) => {
    if (movements.length === 0 || context === null) return;
    stats.movements += movements.length;
    try {
      context.records.movements(movements);
    } catch (err) {
      context.log.error(
        { err: errorMessage(err), count: movements.length },
        'portal could not store movements',
      );
    }
  };

  const health = (state: ReaderState, error?: string) => {
    if (context === null) return;
    try {
      context.health.reader({
        readerId,
        portalId: config.id,
        state,
        since: context.clock.now(),
        ...(error === undefined ? {} : { lastError: error.slice(0, 500) }),
      });
    } catch (err) {
      context.log.error({ err: errorMessage(err) }, 'portal could not report reader health');
    }
  };

  const alarm = (a: NewAlarm) => {
    try {
      context?.records.alarms([a]);
    } catch (err) {
      context?.log.error({ err: errorMessage(err), alarmId: a.alarmId }, 'portal could not store an alarm');
    }
  };

  /** A step back is logged, and alarmed even when the skew is within limits afterwards. */
  const clockNews = (news: ClockNews, at: number) => {
    const log = context?.log;
    const skewMs = readerClock.skewMs ?? 0;
    const policy = readerClock.policy;
    if (news.steppedBackMs !== undefined)
      log?.warn(
        { portal: config.id, backMs: news.steppedBackMs, skewMs, policy },
        'reader clock stepped back',
      );
    if (news.alarm === undefined) return;
    const s = (ms: number) => `${(Math.abs(ms) / 1000).toFixed(1)} s`;
    const base = { alarmId: clockAlarmId, kind: 'reader_clock_skew', severity: 'warning', ts: at } as const;
    if (news.alarm === 'cleared') {
      log?.info({ portal: config.id, skewMs }, 'reader clock agrees with the gateway again');
      alarm({
        ...base,
        state: 'cleared',
        value: skewMs / 1000,
        message: `reader of portal ${config.id}: clock within ${s(skewMs)} of the gateway's again`,
      });
      return;
    }
    const what =
      news.steppedBackMs !== undefined
        ? `clock stepped back by ${s(news.steppedBackMs)}`
        : `clock ${s(skewMs)} ${skewMs > 0 ? 'ahead of' : 'behind'} the gateway's`;
    const handling =
      policy === 'reader'
        ? "its times are kept (policy 'reader')"
        : policy === 'offset'
          ? "its times are corrected by the measured skew (policy 'offset')"
          : "reads are timed on arrival (policy 'gateway')";
    if (news.steppedBackMs === undefined)
      log?.warn({ portal: config.id, skewMs, policy }, 'reader clock skew beyond its limit');
    alarm({
      ...base,
      state: 'raised',
      value: skewMs / 1000,
      message: `reader of portal ${config.id}: ${what}; ${handling}`,
    });
  };

  /** A report: its times as the clock policy gives them; tracks restart when those times went back. */
  const onReport = (l: PortalLogic, reads: TagRead[], at: number) => {
    stats.tagReads += reads.length;
    const timed = readerClock.report(reads, at);
    clockNews(timed.news, at);
    if (timed.news.rebase) {
      const finished = l.flush();
      context?.log.warn(
        { portal: config.id, finished: finished.length },
        "reader times went back: tags in the field finished as they stood, tracking restarts on the reader's new times",
      );
      emit(finished);
    }
    emit(l.ingest(timed.reads));
  };

  return {
    name: `portal:${config.id}`,
    stats,
    report: () => {
      const c = connectorStats;
      return {
        portalId: config.id,
        readerId,
        connector: {
          reports: c?.reports ?? 0,
          tags: c?.tags ?? 0,
          badTagReports: c?.badTagReports ?? 0,
          reconnects: c?.reconnects ?? 0,
          protocolErrors: c?.errors ?? 0,
          keepalives: c?.keepalives ?? 0,
        },
        clock: { policy: readerClock.policy, skewMs: readerClock.skewMs, steps: readerClock.steps },
      };
    },
    activeAlarms: () => (readerClock.alarmRaised ? [clockAlarmId] : []),
    async start(ctx: GatewayContext): Promise<void> {
      context = ctx;
      const log = ctx.log.child({ portal: config.id });
      const l = new PortalLogic(config, () => ctx.clock.now());
      logic = l;
      const r = config.reader;
      connector = new LlrpReaderConnector({
        host: r.host,
        port: r.port,
        connectTimeoutMs: r.connectTimeoutMs,
        keepaliveMs: r.keepaliveMs,
        keepaliveMissFactor: r.keepaliveMissFactor,
        responseTimeoutMs: r.responseTimeoutMs,
        reconnect: r.reconnect,
        factoryReset: r.factoryReset,
        ...(r.radio ? { radio: r.radio } : {}),
        rospecId: r.rospecId,
        antennas: [...config.outside.antennas, ...config.inside.antennas],
        reportEveryTags: r.reportEveryTags,
        maxMessageBytes: r.maxMessageBytes,
        clock: ctx.clock,
        log,
        onTags: (reads) => {
          try {
            onReport(l, reads, ctx.clock.now());
          } catch (err) {
            log.error({ err: errorMessage(err) }, 'portal logic failed on a report');
          }
        },
        onReaderEvent: (ev) => {
          if (ev.utcUs === undefined) return;
          const at = ctx.clock.now();
          clockNews(readerClock.event(ev.utcUs, at), at);
        },
        onState: health,
      });
      connectorStats = connector.stats;
      sweepTimer = ctx.clock.setInterval(() => {
        try {
          emit(l.sweep());
        } catch (err) {
          log.error({ err: errorMessage(err) }, 'portal sweep failed');
        }
      }, config.sweepMs);
      connector.start();
    },
    async stop(): Promise<void> {
      if (context) context.clock.clearInterval(sweepTimer);
      try {
        await connector?.stop();
      } catch (err) {
        context?.log.warn({ err: errorMessage(err) }, 'portal reader stop failed');
      }
      if (logic) {
        // Tags whose dwell has elapsed are finished normally; the rest are finished as they stand.
        emit(logic.sweep());
        emit(logic.flush());
      }
      connector = null;
      logic = null;
    },
  };
}
