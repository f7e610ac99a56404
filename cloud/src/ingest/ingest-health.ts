import { type Clock, errorMessage } from '@coldtrace/shared';
import { isConnectionFailure } from '../store/connection-failure.js';

/** One readiness check: whether it holds and, when it does not, why (for the operator reading /readyz). */
export interface HealthCheck {
  ok: boolean;
  detail?: string;
}

export type HealthChecks = Record<string, HealthCheck>;

/** The checks the cloud's parts report (docs/operations.md "Health and readiness"). */
export interface HealthSource {
  /** Failures only a restart mends (the embedded broker stopped): `/healthz` answers 503. */
  live(): HealthChecks;
  /** Everything the cloud needs to take data (commits, brokers, ingest keeping up): `/readyz` answers 503. */
  ready(): HealthChecks;
  /**
   * A store probe (a read) starts: call the returned function if it answered, before reading `ready()`.
   * Clears a failed commit the probe shows is over (`IngestHealth.probingStore`).
   */
  probingStore?(): () => void;
}

export interface IngestHealthOptions {
  /** The wall clock: how long a message has been in ingest is real time, whatever the data clock does. */
  clock: Clock;
  /** A message in ingest for longer than this means ingest is not keeping up (not ready). */
  maxLagMs: number;
}

/**
 * What ingest knows of its own health, for `/readyz` (docs/operations.md "Health and readiness"):
 * - `commits`: whether the store took the last message. A failed commit makes it fail until a later one
 *   succeeds or, when the commit failed because the database could not be reached (connection refused or
 *   lost: `isConnectionFailure`), until a store probe started after the failure answers (`probingStore`).
 * - `ingest`: whether ingest keeps up, i.e. no message has been in ingest for longer than `maxLagMs`.
 */
export class IngestHealth {
  private readonly started = new Map<number, number>();
  private nextId = 0;
  private failure: { at: number; message: string; connection: boolean } | undefined;

  constructor(private readonly opts: IngestHealthOptions) {}

  /** A message entered ingest; call the returned function when it left (stored, dead-lettered or failed). */
  begin(): () => void {
    const id = this.nextId++;
    this.started.set(id, this.opts.clock.now());
    return () => this.started.delete(id);
  }

  committed(): void {
    this.failure = undefined;
  }

  commitFailed(err: unknown): void {
    this.failure = {
      at: this.opts.clock.now(),
      message: errorMessage(err).slice(0, 300),
      connection: isConnectionFailure(err),
    };
  }

  /**
   * A store probe starts; the returned function, called when it answered, clears the failed commit seen at
   * its start if that failure was a connection failure and no commit failed since (docs/operations.md
   * "Health and readiness").
   *
   * Why: the failed message was not acknowledged and comes again, but with several ingestors on RabbitMQ
   * another one may take it, and this cloud may receive nothing for long after the outage: waiting for its
   * own next commit would keep it out of the load balancer while the database works. A connection failure
   * means the database was not there; a read on the same pool answering afterwards (a new connection:
   * node-postgres drops a failed one) shows it is there again, which is all that commit lacked. Other
   * failures (a full disk, a read-only database, a statement refused) are not shown over by a read, so
   * they wait for a commit. Only a failure seen when the probe started is cleared: a commit failing during
   * the probe, or afterwards on redelivery, records a new failure that stays until the next probe (if it is
   * a connection failure) or commit shows otherwise.
   */
  probingStore(): () => void {
    const seen = this.failure;
    return () => {
      if (seen?.connection && this.failure === seen) this.failure = undefined;
    };
  }

  checks(): { commits: HealthCheck; ingest: HealthCheck } {
    const now = this.opts.clock.now();
    const f = this.failure;
    const commits: HealthCheck = f
      ? {
          ok: false,
          detail: `the last ingest commit failed ${Math.round((now - f.at) / 1000)} s ago: ${f.message}`,
        }
      : { ok: true };
    // Insertion order is start order: the first entry is the oldest message in ingest.
    const oldest: number | undefined = this.started.values().next().value;
    const lag = oldest === undefined ? 0 : now - oldest;
    const ingest: HealthCheck =
      lag > this.opts.maxLagMs
        ? {
            ok: false,
            detail: `a message has been in ingest for ${lag} ms (limit ${this.opts.maxLagMs} ms); ${this.started.size} in ingest`,
          }
        : { ok: true };
    return { commits, ingest };
  }
}

type Reporting = { health(): HealthCheck } | undefined;
const NOT_STARTED: HealthCheck = { ok: false, detail: 'not started' };

/**
 * The cloud's health source: ingest's checks and those of the brokers it ingests from (`embedded`,
 * `external`, `rabbitmq`, each given as a getter since it starts later; one not running yet is not ready).
 * The embedded broker is also a liveness check: nothing restarts it inside the process.
 */
export function ingestHealthSource(
  ingest: IngestHealth,
  brokers: {
    embedded?: (() => Reporting) | undefined;
    external?: (() => Reporting) | undefined;
    rabbitmq?: (() => Reporting) | undefined;
  },
): HealthSource {
  const embedded = (): HealthChecks =>
    brokers.embedded ? { broker: brokers.embedded()?.health() ?? NOT_STARTED } : {};
  return {
    live: embedded,
    ready: () => ({
      ...ingest.checks(),
      ...embedded(),
      ...(brokers.external ? { external_broker: brokers.external()?.health() ?? NOT_STARTED } : {}),
      ...(brokers.rabbitmq ? { rabbitmq_ingest: brokers.rabbitmq()?.health() ?? NOT_STARTED } : {}),
    }),
    probingStore: () => ingest.probingStore(),
  };
}
