import { ColdtraceError, errorMessage } from '@coldtrace/shared';

export interface InfluxClientOptions {
  /** Base URL of the InfluxDB 1.x HTTP API (or a 2.x/3.x v1-compatibility endpoint), e.g. http://127.0.0.1:8086 */
  url: string;
  database: string;
  username?: string | undefined;
  password?: string | undefined;
  /** Per-request timeout. */
  timeoutMs: number;
}

export interface InfluxSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

/**
 * Minimal client of the InfluxDB 1.x HTTP API: `POST /write` (line protocol, precision ms) and
 * `GET|POST /query` (InfluxQL). Errors carry code `influx_unavailable` (network, 5xx: retry later)
 * or `influx_rejected` (4xx: the request itself is wrong).
 */
export class InfluxClient {
  constructor(readonly opts: InfluxClientOptions) {}

  private headers(): Record<string, string> {
    const { username, password } = this.opts;
    return username
      ? { authorization: `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}` }
      : {};
  }

  private async request(path: string, init: RequestInit): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.opts.url), {
        ...init,
        headers: { ...this.headers(), ...(init.headers as Record<string, string> | undefined) },
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
    } catch (err) {
      throw new ColdtraceError(
        'influx_unavailable',
        `InfluxDB ${this.opts.url} unreachable: ${errorMessage(err)}`,
      );
    }
    if (!res.ok) {
      const body = (await res.text().catch(() => '')).slice(0, 500);
      throw new ColdtraceError(
        res.status >= 500 || res.status === 429 ? 'influx_unavailable' : 'influx_rejected',
        `InfluxDB ${path.split('?')[0]} answered ${res.status}: ${body}`,
        { status: res.status },
      );
    }
    return res;
  }

  /** Writes line protocol with millisecond timestamps (InfluxDB 1.x /write answers 204). */
  async write(lines: string): Promise<void> {
    const q = new URLSearchParams({ db: this.opts.database, precision: 'ms' });
    const res = await this.request(`/write?${q}`, {
      method: 'POST',
      body: lines,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
    });
    await res.arrayBuffer();
  }

  /** Runs InfluxQL; returns the series of the first statement (epoch ms times). */
  async query(influxql: string, opts: { method?: 'GET' | 'POST' } = {}): Promise<InfluxSeries[]> {
    const q = new URLSearchParams({ db: this.opts.database, q: influxql, epoch: 'ms' });
    const res =
      opts.method === 'POST'
        ? await this.request('/query', {
            method: 'POST',
            body: q,
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
          })
        : await this.request(`/query?${q}`, { method: 'GET' });
    const body = (await res.json()) as {
      results?: Array<{ error?: string; series?: InfluxSeries[] }>;
      error?: string;
    };
    const first = body.results?.[0];
    const error = body.error ?? first?.error;
    if (error) throw new ColdtraceError('influx_rejected', `InfluxQL error: ${error}`);
    return first?.series ?? [];
  }

  /** `CREATE DATABASE` is idempotent in InfluxDB 1.x. */
  async createDatabase(): Promise<void> {
    await this.query(`CREATE DATABASE "${this.opts.database.replace(/["\\]/g, (c) => `\\${c}`)}"`, {
      method: 'POST',
    });
  }

  /** `GET /ping` answers 204 when the server is up. */
  async ping(): Promise<boolean> {
    try {
      await this.request('/ping', { method: 'GET' });
      return true;
    } catch {
      return false;
    }
  }
}
