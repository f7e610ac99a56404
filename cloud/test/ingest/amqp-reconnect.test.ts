import { Backoff } from '@coldtrace/shared';
import { until } from '@coldtrace/shared/testing';
import { describe, expect, it, vi } from 'vitest';
import { amqpUrl, closeWithin, reconnectLoop } from '../../src/ingest/amqp-reconnect.js';

// The reconnect loop the AMQP ingest source and event publisher share; amqp-source.svc.test.ts and
// mqtt-events-rabbitmq.svc.test.ts run it against a real RabbitMQ node.

describe('AMQP reconnect loop', () => {
  it('retries a failing session with backoff, closing what each failure hands back, then resets the backoff', async () => {
    const backoff = new Backoff({ initialMs: 1, maxMs: 5 });
    const closed: number[] = [];
    let attempts = 0;
    const loop = reconnectLoop({
      backoff,
      session: async () => {
        attempts++;
        if (attempts < 3) throw new Error(`refused ${attempts}`);
      },
      failed: (why) => {
        expect(why).toBe(`refused ${attempts}`);
        const n = attempts;
        return { close: async () => void closed.push(n) };
      },
    });
    await loop.attempt();
    expect(backoff.failures).toBe(1);
    await until(() => attempts === 3 && backoff.failures === 0, 'third session up, backoff reset');
    expect(closed).toEqual([1, 2]);
    loop.stop();
  });

  it('does not retry once stopped: neither a pending retry nor one scheduled after the stop', async () => {
    vi.useFakeTimers();
    try {
      let attempts = 0;
      const loop = reconnectLoop({
        backoff: new Backoff({ initialMs: 1_000, maxMs: 1_000 }),
        session: async () => {
          attempts++;
          throw new Error('refused');
        },
        failed: () => undefined,
      });
      await loop.attempt();
      // Precondition: the loop does retry while running.
      await vi.advanceTimersByTimeAsync(1_000);
      expect(attempts).toBe(2);
      loop.stop();
      loop.schedule();
      await loop.attempt();
      await vi.runAllTimersAsync();
      expect(vi.getTimerCount()).toBe(0);
      expect(attempts).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('sets the heartbeat unless the URL sets its own; a close the broker never answers gives up', async () => {
    expect(amqpUrl('amqp://u:p@rabbit:5672/').searchParams.get('heartbeat')).toBe('5');
    expect(amqpUrl('amqp://u:p@rabbit:5672/?heartbeat=30').searchParams.get('heartbeat')).toBe('30');
    const started = Date.now();
    await closeWithin({ close: () => new Promise<void>(() => {}) });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_900);
  });
});
