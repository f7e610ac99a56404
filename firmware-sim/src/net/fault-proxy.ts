import net from 'node:net';
import { ColdtraceError } from '@coldtrace/shared';

export interface FaultProxy {
  /** Where the client (a gateway) connects instead of the target (the broker). */
  readonly port: number;
  readonly url: string;
  readonly isCut: boolean;
  /** Connections accepted since start (each reconnect of the client counts). */
  readonly connections: number;
  /** Connections refused because the uplink was cut (each reconnect attempt of the client counts). */
  readonly refused: number;
  /** Client connections open now (each forwarded to the target). */
  readonly open: number;
  /** Target → client bytes held now (`holdDownstream`), not delivered yet. */
  readonly heldBytes: number;
  /** The uplink is lost: open connections are destroyed and new ones refused at once. */
  cut(): void;
  /** The uplink is back. */
  restore(): void;
  /**
   * Client → target bytes still flow, target → client bytes are held back (not delivered, not
   * dropped): the broker receives and acknowledges publishes, but the gateway sees no PUBACK
   * (MQTT 3.1.1 §4.3.2). Lets a test kill a process exactly in the window "stored upstream, not
   * acknowledged downstream", which is what forces a redelivery.
   */
  holdDownstream(): void;
  /** Delivers what was held and lets target → client bytes flow again. */
  releaseDownstream(): void;
  /**
   * The target died with what was held still unsent: the held bytes are discarded (never delivered)
   * and target → client bytes flow again. Use it after killing or stopping the target: the proxy may
   * not have seen the target's side close yet, and `releaseDownstream` would then deliver the dead
   * broker's PUBACKs, so the client would never redeliver what the test meant to leave unacknowledged.
   */
  dropDownstream(): void;
  close(): Promise<void>;
}

interface Pair {
  a: net.Socket;
  b: net.Socket;
  held: Buffer[];
}

/**
 * A TCP proxy on loopback between a client and a target that a test or scenario can cut and restore
 * (a truck leaving coverage) or make one-way for a while (the durability tests' "stored upstream, not
 * acknowledged downstream" window), without touching the broker.
 */
export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) {
    throw new ColdtraceError('sim_bad_port', `proxy target port must be 1..65535, got ${target.port}`);
  }
  const pairs = new Set<Pair>();
  let cut = false;
  let hold = false;
  let connections = 0;
  let refused = 0;

  const server = net.createServer((a) => {
    if (cut) {
      refused++;
      a.destroy();
      return;
    }
    connections++;
    const b = net.connect(target.port, target.host);
    const pair: Pair = { a, b, held: [] };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      pair.held = [];
      a.destroy();
      b.destroy();
    };
    a.on('error', end).on('close', end);
    b.on('error', end).on('close', end);
    a.pipe(b);
    b.on('data', (chunk: Buffer) => {
      if (hold) pair.held.push(chunk);
      else a.write(chunk);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;

  const destroyAll = () => {
    for (const p of pairs) {
      p.held = [];
      p.a.destroy();
      p.b.destroy();
    }
    pairs.clear();
  };

  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    get isCut() {
      return cut;
    },
    get connections() {
      return connections;
    },
    get refused() {
      return refused;
    },
    get open() {
      return pairs.size;
    },
    get heldBytes() {
      let n = 0;
      for (const p of pairs) for (const chunk of p.held) n += chunk.length;
      return n;
    },
    cut() {
      cut = true;
      destroyAll();
    },
    restore() {
      cut = false;
    },
    holdDownstream() {
      hold = true;
    },
    releaseDownstream() {
      hold = false;
      for (const p of pairs) {
        for (const chunk of p.held.splice(0)) p.a.write(chunk);
      }
    },
    dropDownstream() {
      hold = false;
      for (const p of pairs) p.held = [];
    },
    async close() {
      cut = true;
      destroyAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
