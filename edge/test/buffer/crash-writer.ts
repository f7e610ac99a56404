// Child process for sqlite-buffer-crash.int.test.ts: appends until killed, reporting each commit and
// each ack after it returned. Record seq s is always `reading(s - 1)` (fixtures.ts), so the test can
// check the content of what survived; every tenth append acks up to 1,000 records behind the head.
import { openSqliteBuffer } from '../../src/buffer/sqlite-buffer.js';
import { readings } from './fixtures.js';

const path = process.argv[2]!;
const buf = openSqliteBuffer({ path, maxBytes: 1 << 30 });
let last = buf.lastSeq('readings');
for (let n = 1; ; n++) {
  const out = buf.append('readings', readings(200, last));
  last = out.at(-1)!.seq;
  process.stdout.write(`committed ${last}\n`);
  if (n % 10 === 0 && last > 1000) {
    buf.ack('readings', last - 1000);
    process.stdout.write(`acked ${last - 1000}\n`);
  }
}
