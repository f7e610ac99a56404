import { readdirSync, readFileSync } from 'node:fs';

/**
 * CPU time of process trees from /proc (Linux), for benchmarks that run their services as separate
 * processes (`npm run bench -- scale`). A tree's figure is the sum of utime + stime + cutime + cstime over
 * its live processes (proc(5)): a descendant that exits during a measurement moves its time into its
 * parent's cutime/cstime when reaped, so the difference of two snapshots counts every process that ran in
 * between once, those started or ended in between included.
 */

/** Clock ticks per second of /proc/<pid>/stat times (`getconf CLK_TCK`: 100 on Linux for x86 and arm). */
const CLK_TCK = 100;

interface Stat {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime + cutime + cstime, in ticks. */
  ticks: number;
}

function readStat(pid: number): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // exited meanwhile
  }
  // comm may hold spaces and parentheses: the fields after it start after the last ')'.
  const close = text.lastIndexOf(')');
  const comm = text.slice(text.indexOf('(') + 1, close);
  const f = text
    .slice(close + 2)
    .split(' ')
    .map(Number);
  // f[0] is field 3 (state): ppid is field 4, utime..cstime fields 14..17.
  return { pid, ppid: f[1]!, comm, ticks: f[11]! + f[12]! + f[13]! + f[14]! };
}

function allStats(): Stat[] {
  const out: Stat[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

/** Seconds of CPU of each named tree (its root and every live descendant), read at one instant. */
export function treeCpuSeconds(roots: Record<string, number[]>): Record<string, number> {
  const stats = allStats();
  const children = new Map<number, Stat[]>();
  for (const s of stats) {
    const list = children.get(s.ppid) ?? [];
    list.push(s);
    children.set(s.ppid, list);
  }
  const byPid = new Map(stats.map((s) => [s.pid, s]));
  const out: Record<string, number> = {};
  for (const [name, pids] of Object.entries(roots)) {
    let ticks = 0;
    const seen = new Set<number>();
    const stack = pids.map((p) => byPid.get(p)).filter((s): s is Stat => s !== undefined);
    while (stack.length > 0) {
      const s = stack.pop()!;
      if (seen.has(s.pid)) continue;
      seen.add(s.pid);
      ticks += s.ticks;
      stack.push(...(children.get(s.pid) ?? []));
    }
    out[name] = ticks / CLK_TCK;
  }
  return out;
}

/**
 * Pids of processes named `comm` whose environment holds `variable` (e.g. `RABBITMQ_NODENAME=<node>`: a
 * RabbitMQ node's beam.smp gets its name from its environment, not its command line).
 */
export function findPids(comm: string, variable: string): number[] {
  return allStats()
    .filter((s) => s.comm === comm)
    .filter((s) => {
      try {
        return readFileSync(`/proc/${s.pid}/environ`, 'utf8').split('\0').includes(variable);
      } catch {
        return false;
      }
    })
    .map((s) => s.pid);
}

/** The difference of two snapshots of `treeCpuSeconds`, tree by tree. */
export function cpuDelta(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.keys(b).map((k) => [k, b[k]! - (a[k] ?? 0)]));
}
