import { type Clock, errorMessage } from '@coldtrace/shared';

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
 *   succeeds; the message was not acknowledged, so its gateway sends it again (and every gateway sends its
 *   status every 30 s), which is also what shows the store took writes again.
 * - `ingest`: whether ingest keeps up, i.e. no message has been in ingest for longer than `maxLagMs`.
 */
export class IngestHealth {
  private readonly started = new Map<number, number>();
  private nextId = 0;
  private failure: { at: number; message: string } | undefined;

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
    this.failure = { at: this.opts.clock.now(), message: errorMessage(err).slice(0, 300) };
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
  };
}
