import { errorMessage } from '@coldtrace/shared';
import type { Logger } from 'pino';

/**
 * A part of the cloud with a life of its own (docs/architecture.md "Cloud"): the broker, ingest from an
 * external broker, evaluation, the outbox dispatcher, the sinks, the HTTP API. Started in order and stopped
 * in reverse by `startModules`, as the edge's `GatewayModule`s are. Wiring goes through each module's
 * constructor options; a module never reaches into another's.
 */
export interface CloudModule {
  readonly name: string;
  /**
   * A required module that fails to start fails the cloud (the modules started before it are stopped):
   * a cloud that cannot take data or serve its API must not look started. An optional one (a sink, an
   * event publisher) is logged and counted, and the cloud runs on without it.
   */
  readonly required: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartedModules {
  /** Names of the modules running, in start order. */
  readonly names: readonly string[];
  /** Stops every started module in reverse order; a failure is logged and the others still stop. */
  stop(): Promise<void>;
}

export interface ModuleHooks {
  log: Logger;
  /** Counts a module that failed to start or to stop (the cloud's `/metrics`). */
  onFailure?: ((module: string, phase: 'start' | 'stop') => void) | undefined;
}

export async function startModules(
  modules: readonly CloudModule[],
  hooks: ModuleHooks,
): Promise<StartedModules> {
  const { log } = hooks;
  const started: CloudModule[] = [];
  const stopAll = async () => {
    for (const m of [...started].reverse()) {
      try {
        await m.stop();
      } catch (err) {
        hooks.onFailure?.(m.name, 'stop');
        log.warn({ module: m.name, err: errorMessage(err) }, 'module failed to stop cleanly');
      }
    }
    started.length = 0;
  };
  for (const m of modules) {
    try {
      await m.start();
      started.push(m);
      log.debug({ module: m.name }, 'module started');
    } catch (err) {
      hooks.onFailure?.(m.name, 'start');
      if (m.required) {
        log.error({ module: m.name, err: errorMessage(err) }, 'required module failed to start');
        await stopAll();
        throw err;
      }
      log.error({ module: m.name, err: errorMessage(err) }, 'module failed to start; continuing without it');
    }
  }
  const names = started.map((m) => m.name);
  return { names, stop: stopAll };
}
