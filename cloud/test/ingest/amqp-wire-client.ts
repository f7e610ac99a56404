import { EventEmitter } from 'node:events';
import { type Socket, connect as tcpConnect } from 'node:net';
import type { AmqpChannel, AmqpConnection, AmqpMessage } from '../../src/ingest/amqp-source.js';

// A minimal AMQP 0-9-1 client for the tests of cloud/src/ingest/amqp-source.ts, speaking the real protocol
// to a real RabbitMQ node: one channel, the methods the source calls (queue.declare, queue.bind, basic.qos,
// basic.consume, basic.ack) and heartbeats. It stands in for amqplib, which this build does not have yet;
// with amqplib installed, its `connect` plugs into the same `AmqpConnect` port.

const FRAME_METHOD = 1;
const FRAME_HEADER = 2;
const FRAME_BODY = 3;
const FRAME_HEARTBEAT = 8;
const FRAME_END = 0xce;

class Writer {
  private parts: Buffer[] = [];
  octet(n: number) {
    this.parts.push(Buffer.from([n]));
    return this;
  }
  short(n: number) {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(n);
    this.parts.push(b);
    return this;
  }
  long(n: number) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    this.parts.push(b);
    return this;
  }
  longlong(n: number) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(n));
    this.parts.push(b);
    return this;
  }
  shortstr(s: string) {
    const b = Buffer.from(s, 'utf8');
    return this.octet(b.length).raw(b);
  }
  longstr(s: string | Buffer) {
    const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
    return this.long(b.length).raw(b);
  }
  /** A field table of string values ('S'). */
  table(t: Record<string, string>) {
    const w = new Writer();
    for (const [k, v] of Object.entries(t)) w.shortstr(k).octet('S'.charCodeAt(0)).longstr(v);
    return this.longstr(w.done());
  }
  raw(b: Buffer) {
    this.parts.push(b);
    return this;
  }
  done() {
    return Buffer.concat(this.parts);
  }
}

class Reader {
  constructor(
    private readonly b: Buffer,
    private at = 0,
  ) {}
  octet() {
    return this.b.readUInt8(this.at++);
  }
  short() {
    const v = this.b.readUInt16BE(this.at);
    this.at += 2;
    return v;
  }
  long() {
    const v = this.b.readUInt32BE(this.at);
    this.at += 4;
    return v;
  }
  longlong() {
    const v = Number(this.b.readBigUInt64BE(this.at));
    this.at += 8;
    return v;
  }
  shortstr() {
    const n = this.octet();
    const s = this.b.toString('utf8', this.at, this.at + n);
    this.at += n;
    return s;
  }
  longstr() {
    const n = this.long();
    const s = this.b.toString('utf8', this.at, this.at + n);
    this.at += n;
    return s;
  }
}

interface Waiter {
  channel: number;
  classId: number;
  methodId: number;
  resolve: (args: Reader) => void;
  reject: (err: Error) => void;
}

class WireConnection extends EventEmitter implements AmqpConnection {
  private buf = Buffer.alloc(0);
  private waiters: Waiter[] = [];
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private lastSeen = Date.now();
  private closed = false;
  private consumers = new Map<string, (msg: AmqpMessage | null) => void>();
  private delivering:
    | { tag: string; fields: AmqpMessage['fields']; size: number; parts: Buffer[] }
    | undefined;

  constructor(private readonly socket: Socket) {
    super();
    socket.on('data', (d) => this.onData(d));
    socket.on('error', (err) => this.gone(err));
    socket.on('close', () => this.gone(new Error('socket closed')));
  }

  private gone(err: Error) {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    for (const w of this.waiters.splice(0)) w.reject(err);
    this.socket.destroy();
    this.emit('close', err);
  }

  private send(type: number, channel: number, payload: Buffer) {
    if (this.closed) return;
    const head = Buffer.alloc(7);
    head.writeUInt8(type, 0);
    head.writeUInt16BE(channel, 1);
    head.writeUInt32BE(payload.length, 3);
    this.socket.write(Buffer.concat([head, payload, Buffer.from([FRAME_END])]));
  }

  sendMethod(channel: number, classId: number, methodId: number, args: Buffer) {
    this.send(FRAME_METHOD, channel, new Writer().short(classId).short(methodId).raw(args).done());
  }

  expect(channel: number, classId: number, methodId: number): Promise<Reader> {
    if (this.closed) return Promise.reject(new Error('connection closed'));
    return new Promise((resolve, reject) =>
      this.waiters.push({ channel, classId, methodId, resolve, reject }),
    );
  }

  async rpc(
    channel: number,
    classId: number,
    methodId: number,
    args: Buffer,
    okMethodId: number,
  ): Promise<Reader> {
    const answer = this.expect(channel, classId, okMethodId);
    this.sendMethod(channel, classId, methodId, args);
    return answer;
  }

  startHeartbeat(seconds: number) {
    if (seconds === 0) return;
    this.heartbeatTimer = setInterval(
      () => {
        this.send(FRAME_HEARTBEAT, 0, Buffer.alloc(0));
        if (Date.now() - this.lastSeen > 2 * seconds * 1000) this.gone(new Error('missed heartbeats'));
      },
      (seconds * 1000) / 2,
    );
    this.heartbeatTimer.unref();
  }

  /**
   * The handler of the consumer being started: registered when its consume-ok is read, before any
   * delivery that follows it in the same read is handled (one basic.consume at a time).
   */
  nextConsumer: ((msg: AmqpMessage | null) => void) | undefined;

  private onData(d: Buffer) {
    this.lastSeen = Date.now();
    this.buf = Buffer.concat([this.buf, d]);
    while (this.buf.length >= 8) {
      const type = this.buf.readUInt8(0);
      const channel = this.buf.readUInt16BE(1);
      const size = this.buf.readUInt32BE(3);
      if (this.buf.length < size + 8) return;
      const payload = this.buf.subarray(7, 7 + size);
      this.buf = this.buf.subarray(size + 8);
      this.onFrame(type, channel, payload);
    }
  }

  private onFrame(type: number, channel: number, payload: Buffer) {
    if (type === FRAME_HEARTBEAT) return;
    if (type === FRAME_HEADER && this.delivering) {
      this.delivering.size = Number(payload.readBigUInt64BE(4));
      if (this.delivering.size === 0) this.deliver();
      return;
    }
    if (type === FRAME_BODY && this.delivering) {
      this.delivering.parts.push(Buffer.from(payload));
      if (this.delivering.parts.reduce((n, p) => n + p.length, 0) >= this.delivering.size) this.deliver();
      return;
    }
    if (type !== FRAME_METHOD) return;
    const r = new Reader(payload);
    const classId = r.short();
    const methodId = r.short();
    if (classId === 60 && methodId === 60) {
      // basic.deliver: consumer-tag, delivery-tag, redelivered, exchange, routing-key; then header and body.
      const tag = r.shortstr();
      const deliveryTag = r.longlong();
      const redelivered = (r.octet() & 1) === 1;
      r.shortstr();
      const routingKey = r.shortstr();
      this.delivering = { tag, fields: { deliveryTag, redelivered, routingKey }, size: -1, parts: [] };
      return;
    }
    if ((classId === 10 && methodId === 50) || (classId === 20 && methodId === 40)) {
      const code = r.short();
      const text = r.shortstr();
      this.sendMethod(channel, classId, methodId + 1, Buffer.alloc(0));
      this.gone(new Error(`server closed the ${classId === 10 ? 'connection' : 'channel'}: ${code} ${text}`));
      return;
    }
    if (classId === 60 && methodId === 30) {
      // basic.cancel from the server (queue deleted)
      const tag = r.shortstr();
      this.consumers.get(tag)?.(null);
      return;
    }
    if (classId === 60 && methodId === 21 && this.nextConsumer) {
      this.consumers.set(new Reader(payload, 4).shortstr(), this.nextConsumer);
      this.nextConsumer = undefined;
    }
    const i = this.waiters.findIndex(
      (w) => w.channel === channel && w.classId === classId && w.methodId === methodId,
    );
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(r);
  }

  private deliver() {
    const d = this.delivering!;
    this.delivering = undefined;
    this.consumers.get(d.tag)?.({ content: Buffer.concat(d.parts), fields: d.fields });
  }

  private channels = 0;

  createChannel(): Promise<AmqpChannel> {
    const id = ++this.channels;
    return this.rpc(id, 20, 10, new Writer().shortstr('').done(), 11).then(() => new WireChannel(this, id));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const ok = this.expect(0, 10, 51).catch(() => undefined);
    this.sendMethod(0, 10, 50, new Writer().short(200).shortstr('bye').short(0).short(0).done());
    await ok;
    this.gone(new Error('closed by the client'));
  }

  /** As a killed process does: the socket goes, nothing more is sent. */
  destroy() {
    this.socket.destroy();
  }
}

class WireChannel implements AmqpChannel {
  constructor(
    private readonly c: WireConnection,
    private readonly id: number,
  ) {}
  /** The test client closes the whole connection for any channel error, so a channel's end is its end. */
  on(event: 'close' | 'error', listener: (err?: Error) => void) {
    this.c.on(event, listener);
    return this;
  }
  assertQueue(queue: string, options: { durable: boolean; arguments: Record<string, string> }) {
    const bits = options.durable ? 0b10 : 0;
    return this.c.rpc(
      this.id,
      50,
      10,
      new Writer().short(0).shortstr(queue).octet(bits).table(options.arguments).done(),
      11,
    );
  }
  bindQueue(queue: string, exchange: string, pattern: string) {
    return this.c.rpc(
      this.id,
      50,
      20,
      new Writer().short(0).shortstr(queue).shortstr(exchange).shortstr(pattern).octet(0).table({}).done(),
      21,
    );
  }
  prefetch(count: number) {
    return this.c.rpc(this.id, 60, 10, new Writer().long(0).short(count).octet(0).done(), 11);
  }
  async consume(queue: string, onMessage: (msg: AmqpMessage | null) => void) {
    this.c.nextConsumer = onMessage;
    const ok = await this.c.rpc(
      this.id,
      60,
      20,
      new Writer().short(0).shortstr(queue).shortstr('').octet(0).table({}).done(),
      21,
    );
    return { consumerTag: ok.shortstr() };
  }
  ack(msg: AmqpMessage, allUpTo = false) {
    this.c.sendMethod(
      1,
      60,
      80,
      new Writer()
        .longlong(msg.fields.deliveryTag)
        .octet(allUpTo ? 1 : 0)
        .done(),
    );
  }
}

/** Opens a connection (PLAIN login, the URL's vhost and `heartbeat`), the `AmqpConnect` of amqp-source.ts. */
export async function wireConnect(url: string): Promise<AmqpConnection & { destroy(): void }> {
  const u = new URL(url);
  const heartbeat = Number(u.searchParams.get('heartbeat') ?? 0);
  const socket = tcpConnect(Number(u.port || 5672), u.hostname);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const c = new WireConnection(socket);
  const start = c.expect(0, 10, 10);
  socket.write(Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1])); // "AMQP" 0-9-1
  await start;
  const tune = c.expect(0, 10, 30);
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);
  c.sendMethod(
    0,
    10,
    11,
    new Writer()
      .table({ product: 'coldtrace-test' })
      .shortstr('PLAIN')
      .longstr(`\0${user}\0${pass}`)
      .shortstr('en_US')
      .done(),
  );
  const t = await tune;
  const channelMax = t.short();
  const frameMax = t.long();
  c.sendMethod(0, 10, 31, new Writer().short(channelMax).long(frameMax).short(heartbeat).done());
  const path = u.pathname.replace(/^\//, '');
  await c.rpc(
    0,
    10,
    40,
    new Writer()
      .shortstr(path === '' ? '/' : decodeURIComponent(path))
      .shortstr('')
      .octet(0)
      .done(),
    41,
  );
  c.startHeartbeat(heartbeat);
  return c;
}
