import { type ClockTimer, errorMessage } from '@coldtrace/shared';
import { LlrpReaderConnector, type ReaderState } from '../llrp/connector.js';
import type { GatewayContext, GatewayModule, NewMovement } from '../module.js';
import type { PortalConfig } from './portal-config.js';
import { PortalLogic } from './portal-logic.js';

export interface PortalStats {
  /** Tag reads the reader reported and the portal logic took in. */
  tagReads: number;
  /** Movements handed to the record sink. */
  movements: number;
}

export interface PortalModule extends GatewayModule {
  readonly stats: PortalStats;
}

/**
 * A dock-door portal: runs the LLRP reader connector, feeds its tag reports through the portal logic
 * and hands finished movements to the gateway buffer. Never throws out of its callbacks.
 */
export function createPortalModule(config: PortalConfig): PortalModule {
  const stats: PortalStats = { tagReads: 0, movements: 0 };
  let connector: LlrpReaderConnector | null = null;
  let logic: PortalLogic | null = null;
  let sweepTimer: ClockTimer | undefined;
  let context: GatewayContext | null = null;
  const readerId = `${config.id}-reader`;

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

  return {
    name: `portal:${config.id}`,
    stats,
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
        rospecId: r.rospecId,
        antennas: [...config.outside.antennas, ...config.inside.antennas],
        reportEveryTags: r.reportEveryTags,
        maxMessageBytes: r.maxMessageBytes,
        clock: ctx.clock,
        log,
        onTags: (reads) => {
          stats.tagReads += reads.length;
          try {
            emit(l.ingest(reads));
          } catch (err) {
            log.error({ err: errorMessage(err) }, 'portal logic failed on a report');
          }
        },
        onState: health,
      });
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
