import { type Backoff, errorMessage } from '@coldtrace/shared';

/**
 * AMQP heartbeat: RabbitMQ closes a silent peer's connection after two to three intervals (10–15 s),
 * handing its deliveries on. 5 s is the low end of what RabbitMQ suggests (5–20 s); lower risks closing
 * a busy but live peer.
 */
export const DEFAULT_AMQP_HEARTBEAT_S = 5;

/** How long a close waits for the broker's answer before giving the connection up. */
const CLOSE_TIMEOUT_MS = 2_000;

/** What the loop closes: an amqplib connection (`ChannelModel`). */
export interface AmqpClosable {
  close(): Promise<void>;
}

/** The broker URL with the AMQP heartbeat, unless the configured URL sets its own. */
export function amqpUrl(url: string): URL {
  const u = new URL(url);
  if (!u.searchParams.has('heartbeat')) u.searchParams.set('heartbeat', String(DEFAULT_AMQP_HEARTBEAT_S));
  return u;
}

/**
 * Closes a connection, waiting for the broker at most `CLOSE_TIMEOUT_MS`: a connection whose socket died
 * answers no close handshake (amqplib then waits for ever), and stopping the cloud must not hang on it.
 */
export async function closeWithin(c: AmqpClosable | undefined): Promise<void> {
  if (!c) return;
  let t: NodeJS.Timeout | undefined;
  await Promise.race([
    c.close().catch(() => {}),
    new Promise<void>((r) => {
      t = setTimeout(r, CLOSE_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(t);
}

export interface ReconnectLoop {
  /** Runs a session now; resolves once it is up or, having failed, its retry is scheduled. */
  attempt(): Promise<void>;
  /** Retries after the backoff's next delay, unless a retry is pending or the loop is stopped. */
  schedule(): void;
  /** Whether `stop()` was called: a session that ends then is not retried. */
  stopped(): boolean;
  /** Stops retrying (the owner closes its connection). */
  stop(): void;
}

/**
 * The reconnect loop of an AMQP client (the ingest source and the event publisher): a session that fails
 * to start, or that ends (its owner calls `schedule`), is retried with backoff until `stop()`; one that
 * starts resets the backoff.
 */
export function reconnectLoop(opts: {
  backoff: Backoff;
  /** Connects and sets up everything on the connection; throws when it could not. */
  session: () => Promise<void>;
  /** A session failed to start (`why`): the owner logs it and hands back the connection to close, if any. */
  failed: (why: string) => AmqpClosable | undefined;
}): ReconnectLoop {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const attempt = async () => {
    timer = undefined;
    if (stopped) return;
    try {
      await opts.session();
      opts.backoff.succeed();
    } catch (err) {
      await opts
        .failed(errorMessage(err))
        ?.close()
        .catch(() => {});
      schedule();
    }
  };
  const schedule = () => {
    if (stopped || timer) return;
    timer = setTimeout(() => void attempt(), opts.backoff.fail());
  };
  return {
    attempt,
    schedule,
    stopped: () => stopped,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
    },
  };
}
