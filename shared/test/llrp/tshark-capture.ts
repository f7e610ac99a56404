/**
 * LLRP sessions as Wireshark's dissector sees them: capture a TCP port on the loopback interface with
 * tshark, then read the dissected messages back (`@coldtrace/shared/testing`). Tests skip with the
 * printed reason when tshark cannot capture here.
 */
import { execFileSync, spawn } from 'node:child_process';
import net, { type AddressInfo } from 'node:net';
import { until } from '../until.js';

/** Why capture is impossible here, or null when tshark can capture on the loopback interface. */
export function tsharkUnavailable(): string | null {
  try {
    execFileSync('tshark', ['-v'], { stdio: 'ignore' });
  } catch {
    return 'tshark is not installed (Debian package `tshark`)';
  }
  try {
    const ifaces = execFileSync('tshark', ['-D'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (!/\blo\b/.test(ifaces)) return 'tshark cannot see the loopback interface (no capture permission?)';
  } catch (err) {
    return `tshark cannot list interfaces: ${(err as Error).message}`;
  }
  return null;
}

export interface Capture {
  /** tshark's one-line summary of every packet captured so far. */
  summaries(): string;
  stop(): Promise<void>;
}

/**
 * Captures `port` on the loopback interface into `file`. dumpcap announces the interface before packets
 * flow, so it is ready only once it has captured a probe: a TCP exchange with a probe server on a port of
 * its own, repeated until tshark has printed one of its packets.
 */
export async function startCapture(port: number, file: string): Promise<Capture> {
  const probe = net.createServer((s) => {
    s.on('error', () => {});
    s.end();
  });
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const probePort = (probe.address() as AddressInfo).port;
  const p = spawn(
    'tshark',
    [
      '-i',
      'lo',
      '-f',
      `tcp port ${port} or tcp port ${probePort}`,
      '-w',
      file,
      '-P',
      '-l',
      '-d',
      `tcp.port==${port},llrp`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  let exited: string | undefined;
  p.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  p.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exit = new Promise<void>((r) =>
    p.on('exit', (code) => {
      exited = `tshark exited ${code}: ${err}`;
      r();
    }),
  );
  try {
    await until(
      () => {
        if (exited) throw new Error(exited);
        if (out.includes(`${probePort}`)) return true;
        const c = net.connect(probePort, '127.0.0.1');
        c.on('error', () => {});
        c.resume();
        return false;
      },
      'tshark capturing a probe',
      { intervalMs: 50 },
    );
  } finally {
    await new Promise<void>((r) => probe.close(() => r()));
  }
  return {
    summaries: () => out,
    async stop() {
      p.kill('SIGINT');
      await exit;
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: tshark's JSON tree is untyped
export type Tree = any;
export const asArray = (x: Tree): Tree[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/** One LLRP message as Wireshark dissected it. */
export interface DissectedMessage {
  srcPort: number;
  dstPort: number;
  version: number;
  type: number;
  id: number;
  /** The dissector's tree of the message (`tshark -T json`, duplicate keys merged into arrays). */
  tree: Tree;
  /** Every value of the dissector field `field` (e.g. `llrp.param.status_code`) anywhere in the message. */
  values(field: string): string[];
}

/** Every value of the dissector field `field` anywhere under `node`, in order. */
export function fieldValues(node: Tree, field: string, out: string[] = []): string[] {
  if (node === null || typeof node !== 'object') return out;
  for (const [k, v] of Object.entries(node)) {
    if (k === field)
      for (const x of asArray(v)) out.push(typeof x === 'object' ? JSON.stringify(x) : String(x));
    for (const x of asArray(v)) fieldValues(x, field, out);
  }
  return out;
}

/** Every TLV parameter of type `type` anywhere under `node` (its dissector subtree), in order. */
export function tlvParams(node: Tree, type: number, out: Tree[] = []): Tree[] {
  if (node === null || typeof node !== 'object') return out;
  for (const [k, v] of Object.entries(node)) {
    for (const x of asArray(v)) {
      if (k === 'llrp.param' && x?.['llrp.tlv_type'] === String(type)) out.push(x);
      tlvParams(x, type, out);
    }
  }
  return out;
}

/** The LLRP messages of a capture file, in order, with `port` decoded as LLRP. */
export function dissectCapture(file: string, port: number): DissectedMessage[] {
  const json = execFileSync(
    'tshark',
    ['-r', file, '-d', `tcp.port==${port},llrp`, '-T', 'json', '--no-duplicate-keys', '-J', 'tcp llrp'],
    { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
  );
  const out: DissectedMessage[] = [];
  for (const frame of JSON.parse(json) as Tree[]) {
    const layers = frame._source.layers;
    for (const m of asArray(layers.llrp)) {
      out.push({
        srcPort: Number(layers.tcp['tcp.srcport']),
        dstPort: Number(layers.tcp['tcp.dstport']),
        version: Number(m['llrp.version']),
        type: Number(m['llrp.type']),
        id: Number(m['llrp.id']),
        tree: m,
        values: (field) => fieldValues(m, field),
      });
    }
  }
  return out;
}

/** Frame numbers the dissector marked malformed or with an expert error on `port` ('' when none). */
export function malformedFrames(file: string, port: number): string {
  return execFileSync(
    'tshark',
    [
      '-r',
      file,
      '-d',
      `tcp.port==${port},llrp`,
      '-Y',
      `tcp.port == ${port} && (_ws.malformed || _ws.expert.severity >= 8388608)`,
      '-T',
      'fields',
      '-e',
      'frame.number',
    ],
    { encoding: 'utf8' },
  ).trim();
}
