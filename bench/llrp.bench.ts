/**
 * LLRP benchmarks (one core, in-process, no I/O):
 * - decode rate of RO_ACCESS_REPORT tag reports (framer + fast TagReportData decoder);
 * - whole portal pipeline from bytes to passes (framer → decoder → portal logic → movements).
 */

import { PortalLogic, portalConfigSchema } from '@coldtrace/edge';
import { crossingPath, prng, sgtin96, simulateReads } from '@coldtrace/firmware-sim';
import { decodeTagReports, encodeRoAccessReport, LlrpFramer, type TagRead } from '@coldtrace/shared/llrp';

const print = (o: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'llrp', ...o }));
const T0 = 1_700_000_000_000;

function stream(reads: TagRead[], perReport: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < reads.length; i += perReport)
    parts.push(encodeRoAccessReport(i + 1, reads.slice(i, i + perReport)));
  return Buffer.concat(parts);
}

function chunks(buf: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let p = 0; p < buf.byteLength; p += size) out.push(buf.subarray(p, p + size));
  return out;
}

// 1. decode rate: 200,000 tag reports, 1 and 100 tags per report, fed as 64 KiB TCP-like chunks
for (const perReport of [1, 100]) {
  const r = prng(1);
  const reads: TagRead[] = Array.from({ length: 200_000 }, (_, i) => ({
    epc: sgtin96(614141, 812345, i),
    antennaId: 1 + (i % 4),
    peakRssi: -40 - Math.floor(r() * 30),
    firstSeenUs: (T0 + i) * 1000,
    lastSeenUs: (T0 + i) * 1000,
    seenCount: 1,
    rospecId: 1,
    channelIndex: null,
  }));
  const parts = chunks(stream(reads, perReport), 65536);
  let decoded = 0;
  const run = () => {
    const out: TagRead[] = [];
    const f = new LlrpFramer((frame) => decodeTagReports(frame, 10, frame.byteLength, out));
    for (const c of parts) f.push(c);
    decoded = out.length;
  };
  for (let i = 0; i < 3; i++) run(); // warm-up
  const reps = 10;
  const t = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) run();
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  print({
    metric: `ro_access_report_decode_${perReport}_per_report`,
    value: Math.round((decoded * reps) / s),
    unit: 'tags/s',
    tags: decoded,
  });
}

// 2. pipeline: a 500-case pallet crossing, bytes → passes
{
  const r = prng(2);
  const geo = { outsideAntennas: [1, 2], insideAntennas: [3, 4] };
  const epcs = Array.from({ length: 500 }, (_, i) => sgtin96(614141, 812345, i));
  const reads = simulateReads(
    epcs.map((e) => crossingPath(e, 'in', 2000, r)),
    2000,
    T0,
    geo,
    r,
  );
  const parts = chunks(stream(reads, 1), 65536);
  const cfg = portalConfigSchema.parse({
    id: 'dock-1',
    reader: { host: 'bench' },
    outside: { locationId: 'yard', antennas: [1, 2] },
    inside: { locationId: 'coldroom', antennas: [3, 4] },
  });
  let passes = 0;
  const run = () => {
    let now = T0;
    const logic = new PortalLogic(cfg, () => now);
    let n = 0;
    const f = new LlrpFramer((frame) => {
      const out: TagRead[] = [];
      decodeTagReports(frame, 10, frame.byteLength, out);
      n += logic.ingest(out).length;
    });
    for (const c of parts) f.push(c);
    now += 10_000;
    n += logic.sweep().length;
    passes = n;
  };
  for (let i = 0; i < 3; i++) run();
  const reps = 10;
  const t = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) run();
  const s = Number(process.hrtime.bigint() - t) / 1e9;
  if (passes !== 500) throw new Error(`pipeline produced ${passes} passes, expected 500`);
  print({
    metric: 'portal_pipeline_bytes_to_passes',
    value: Math.round((reads.length * reps) / s),
    unit: 'reads/s',
    tags: 500,
    reads: reads.length,
    passes,
  });
}
