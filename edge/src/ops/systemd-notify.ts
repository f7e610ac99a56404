import { spawn } from 'node:child_process';
import type { Logger } from 'pino';

/**
 * sd_notify(3) for Type=notify units: READY=1 once started, WATCHDOG=1 every half WatchdogSec while
 * the gateway is healthy, STOPPING=1 on shutdown. Node cannot send unix datagrams itself, so this
 * calls systemd-notify(1); the unit therefore needs NotifyAccess=all (deploy/systemd). A no-op
 * when NOTIFY_SOCKET is not set (not under systemd).
 */
export class SystemdNotifier {
  private timer: ReturnType<typeof setInterval> | undefined;
  readonly enabled = Boolean(process.env.NOTIFY_SOCKET);

  constructor(private readonly log: Logger) {}

  ready(healthy: () => boolean): void {
    if (!this.enabled) return;
    this.send('READY=1');
    const usec = Number(process.env.WATCHDOG_USEC);
    if (Number.isFinite(usec) && usec > 0) {
      this.timer = setInterval(
        () => {
          if (healthy()) this.send('WATCHDOG=1');
          else this.log.error('unhealthy: withholding the systemd watchdog ping');
        },
        Math.max(500, usec / 2000),
      );
      this.timer.unref();
    }
  }

  stopping(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.enabled) this.send('STOPPING=1');
  }

  private send(state: string): void {
    const child = spawn('systemd-notify', [`--pid=${process.pid}`, state], { stdio: 'ignore' });
    child.on('error', (err) => this.log.warn({ err: err.message }, 'systemd-notify failed'));
  }
}
