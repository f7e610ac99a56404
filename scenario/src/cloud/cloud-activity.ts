import type { Cloud } from '@coldtrace/cloud';

/** Calls of the cloud's asynchronous work that have started and not yet settled, by what they are. */
export interface CloudActivity {
  /** What is running now, e.g. `ingest ×2, evaluation`; undefined when nothing is. */
  busy(): string | undefined;
}

type AsyncMethod = (...args: never[]) => Promise<unknown>;

/**
 * Counts, on an in-process cloud, the asynchronous work that starts by itself (from a broker hook or a
 * timer of its clock) and whose end nothing else shows: ingest of a message (the broker acknowledges it
 * only afterwards, but a gateway's status or a refused message has no publisher waiting), the domain
 * engine's and the cumulative rules' recomputations, and their periodic sweeps. Each method is replaced
 * on that instance by a wrapper that counts the call until its promise settles; behaviour is unchanged.
 */
export function watchCloudActivity(cloud: Cloud): CloudActivity {
  const running = new Map<string, number>();
  const count = <T extends object>(label: string, target: T, method: keyof T & string) => {
    const original = target[method] as unknown as AsyncMethod;
    const wrapped = (...args: never[]) => {
      running.set(label, (running.get(label) ?? 0) + 1);
      const done = () => running.set(label, running.get(label)! - 1);
      let p: Promise<unknown>;
      try {
        p = original.apply(target, args);
      } catch (err) {
        done();
        throw err;
      }
      p.then(done, done);
      return p;
    };
    Object.defineProperty(target, method, { value: wrapped, configurable: true, writable: true });
  };
  count('ingest', cloud.ingestor, 'handle');
  count('dead letter', cloud.ingestor, 'deadLetter');
  count('evaluation', cloud.evaluator.engine, 'flush');
  count('evaluation mark sweep', cloud.evaluator.engine, 'recoverMarks');
  count('cumulative rules', cloud.cumulative, 'flush');
  count('cumulative rule sweep', cloud.cumulative, 'markAllRuled');
  return {
    busy() {
      const now = [...running].filter(([, n]) => n > 0).map(([k, n]) => (n > 1 ? `${k} ×${n}` : k));
      return now.length ? `the cloud is working: ${now.join(', ')}` : undefined;
    },
  };
}
