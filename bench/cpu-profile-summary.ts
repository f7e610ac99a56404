import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Self time of a V8 CPU profile (`node --cpu-prof`) within a time window, by where the code comes from:
 * an npm package (`pg`, `kysely`, `amqplib`, ...), a source directory of this repository, Node's own
 * modules, or V8's pseudo-nodes ((garbage collector), (program), (idle)). The window is in µs of the
 * monotonic clock (`process.hrtime.bigint() / 1000n` of any process on the machine: V8 stamps profile
 * samples with the same CLOCK_MONOTONIC), so the profile of a whole process yields only its measured part.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileShare {
  name: string;
  ms: number;
  share: number;
}

/** Where a frame's code lives, coarse enough to name the cost: a package, a repo directory, Node, V8. */
function origin(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node:internal';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  const src = /\/(shared|cloud|edge)\/src\/(.+?)\/[^/]+$/.exec(url);
  if (src) return `${src[1]}/src/${src[2]}`;
  const file = /\/(shared|cloud|edge)\/src\/[^/]+$/.exec(url);
  return file ? `${file[1]}/src` : url.replace(/^file:\/\//, '');
}

/** Self time per origin and per function over the samples in [fromUs, toUs], largest first. */
export function summarizeProfile(
  file: string,
  fromUs: number,
  toUs: number,
): { samples: number; totalMs: number; byOrigin: ProfileShare[]; byFunction: ProfileShare[] } {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const origins = new Map<string, number>();
  const functions = new Map<string, number>();
  let t = p.startTime;
  let samples = 0;
  let total = 0;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i]!;
    // A sample's time is the interval up to the next one.
    const dt = p.timeDeltas[i + 1] ?? 0;
    if (t < fromUs || t > toUs) continue;
    const n = nodes.get(p.samples[i]!);
    if (!n) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)') continue;
    samples++;
    total += dt;
    const o = origin(url, functionName);
    origins.set(o, (origins.get(o) ?? 0) + dt);
    const f = `${functionName || '(anonymous)'} ${o}:${lineNumber + 1}`;
    functions.set(f, (functions.get(f) ?? 0) + dt);
  }
  const rank = (m: Map<string, number>) =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => ({ name, ms: us / 1000, share: total > 0 ? us / total : 0 }));
  return { samples, totalMs: total / 1000, byOrigin: rank(origins), byFunction: rank(functions) };
}

/** The one `.cpuprofile` a process wrote into `dir`. */
export function profileIn(dir: string): string | undefined {
  const f = readdirSync(dir).find((x) => x.endsWith('.cpuprofile'));
  return f ? join(dir, f) : undefined;
}
