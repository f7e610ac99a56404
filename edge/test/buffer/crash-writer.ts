// Child process for sqlite-buffer-crash.int.test.ts: appends until killed, reporting each commit.
import { openSqliteBuffer } from '../../src/buffer/sqlite-buffer.js';
import { readings } from './fixtures.js';

const path = process.argv[2]!;
const buf = openSqliteBuffer({ path, maxBytes: 1 << 30 });
let i = buf.lastSeq('readings');
for (;;) {
  const out = buf.append('readings', readings(200, i));
  i += 200;
  if (out.length) process.stdout.write(`committed ${out.at(-1)!.seq}\n`);
  if (i % 2000 === 0) buf.ack('readings', Math.floor(i / 4));
}
