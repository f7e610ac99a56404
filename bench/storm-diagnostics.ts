/**
 * What a storm on the RabbitMQ deployment costs each process (bench/storm-rabbitmq.ts): CPU seconds per
 * process tree from /proc, the broker's auth calls from a cloud's request log, the clouds' ingest counters,
 * and the broker's log by cause.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { CloudCliProcess } from '../cloud/test/ingest/cloud-cli-process.js';

const TICK_S = 1 / 100; // USER_HZ of /proc/<pid>/stat

/** pid → [ppid, comm, cpu seconds (user + system)] of every live process. */
export function processTable(): Map<number, [number, string, number]> {
  const table = new Map<number, [number, string, number]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Fields 4 (ppid), 14 (utime) and 15 (stime) of proc(5), counted from the state (field 3).
      table.set(Number(name), [Number(f[1]), comm, (Number(f[11]) + Number(f[12])) * TICK_S]);
    } catch {
      // exited meanwhile
    }
  }
  return table;
}

/** CPU seconds used so far by each named process tree (its root and every descendant). */
export function cpuOf(roots: Record<string, number>): Record<string, number> {
  const table = processTable();
  const children = new Map<number, number[]>();
  for (const [pid, [ppid]] of table) children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  const sum = (pid: number, skip: Set<number>): number =>
    skip.has(pid)
      ? 0
      : (table.get(pid)?.[2] ?? 0) + (children.get(pid) ?? []).reduce((s, c) => s + sum(c, skip), 0);
  const rootPids = new Set(Object.values(roots));
  return Object.fromEntries(
    Object.entries(roots).map(([name, pid]) => [
      name,
      // A root's tree without the other roots' trees (the clouds and the broker are this process's children).
      sum(pid, new Set([...rootPids].filter((p) => p !== pid))),
    ]),
  );
}

/** The pids of the processes whose command line contains `needle` (the cloud CLIs by their config file). */
export function pidsWith(needle: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(needle)) pids.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** This process's beam.smp descendant: the broker node (its node name is in its environment, not its argv). */
export function ownBeam(): number | undefined {
  const table = processTable();
  const descends = (pid: number): boolean =>
    pid === process.pid || (pid > 1 && table.has(pid) && descends(table.get(pid)![0]));
  return [...table].find(([pid, [, comm]]) => comm === 'beam.smp' && descends(pid))?.[0];
}

/** Readings the clouds have taken from the broker so far, by result (inserted, duplicate), from `/metrics`. */
export async function ingestedReadings(clouds: readonly CloudCliProcess[]): Promise<Record<string, number>> {
  const by: Record<string, number> = {};
  for (const c of clouds)
    for (const line of (await (await fetch(`${c.httpUrl}/metrics`)).text()).split('\n')) {
      const m = /^coldtrace_ingest_records_total\{(.*)\} (\S+)$/.exec(line);
      if (!m || !m[1]!.includes('stream="readings"')) continue;
      const result = /result="(\w+)"/.exec(m[1]!)?.[1] ?? 'other';
      by[result] = (by[result] ?? 0) + Number(m[2]);
    }
  return by;
}

/** `/broker/auth/*` requests in a cloud's pino log: path → response times (ms), and their wall-clock span. */
export function authCalls(logFile: string, from: number, to: number) {
  const urls = new Map<string, string>();
  const times: Record<string, number[]> = {};
  let first = Number.POSITIVE_INFINITY;
  let last = 0;
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as {
      reqId?: string;
      time?: number;
      req?: { url?: string };
      responseTime?: number;
    };
    if (e.req?.url?.startsWith('/broker/auth/') && e.reqId) urls.set(e.reqId, e.req.url);
    else if (e.responseTime !== undefined && e.reqId && urls.has(e.reqId) && e.time) {
      if (e.time < from || e.time > to) continue;
      const path = urls.get(e.reqId)!;
      const list = times[path] ?? [];
      list.push(e.responseTime);
      times[path] = list;
      first = Math.min(first, e.time);
      last = Math.max(last, e.time);
    }
  }
  return { times, spanS: (last - first) / 1000 };
}

/** RabbitMQ log lines: errors, by cause (the auth backend failing to reach the cloud, refused or dropped
 * connections), and the most frequent error lines with numbers and addresses masked. */
export function brokerLogSummary(text: string) {
  const brokerLog = text.split('\n');
  const lines = (text: string) => brokerLog.filter((l) => l.includes(text)).length;
  return {
    errors: lines('[error]'),
    byCause: {
      // the auth backend's HTTP call to the cloud timed out, or could not connect in time
      authTimeout: lines('returned an error: timeout'),
      authFailedConnect: lines('returned an error: {failed_connect'),
      loginFailed: lines('MQTT login failed'),
      closedAuthentication: lines('closing due to an authentication failure'),
      closedAuthorization: lines('closing due to an authorization failure'),
      // the most frequent error lines, numbers and addresses masked
      top: Object.entries(
        brokerLog
          .filter((l) => l.includes('[error]'))
          .map((l) =>
            l
              .replace(/^\S+ \S+ \[error\] <[\d.]+> /, '')
              .replace(/[\d.:]+/g, '#')
              .slice(0, 120),
          )
          .reduce<Record<string, number>>((by, l) => {
            by[l] = (by[l] ?? 0) + 1;
            return by;
          }, {}),
      )
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3),
    },
  };
}
