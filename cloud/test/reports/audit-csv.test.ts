import { describe, expect, it } from 'vitest';
import { csvCell, renderAuditCsv } from '../../src/reports/audit-csv.js';
import type { AuditExport } from '../../src/reports/audit-export.js';

describe('csvCell', () => {
  it('quotes every field and doubles quotes (RFC 4180)', () => {
    expect(csvCell('a')).toBe('"a"');
    expect(csvCell('say "hi", then\r\nleave')).toBe('"say ""hi"", then\r\nleave"');
    expect(csvCell(42)).toBe('"42"');
  });
  it('neutralises cells a spreadsheet would evaluate (= + - @ tab CR)', () => {
    for (const s of ['=1+1', '+1', '-2', '@SUM(A1)', '\tx', '\rx']) expect(csvCell(s)).toBe(`"'${s}"`);
    expect(csvCell('a=1')).toBe('"a=1"');
  });
});

describe('renderAuditCsv', () => {
  it('has a header, meta rows stating the export, then one row per entry, every row with the same fields', () => {
    const x: AuditExport = {
      generatedAt: Date.UTC(2026, 2, 10, 12),
      generatedBy: 'Quinn QA (quinn)',
      version: '0.1.0',
      filters: { actor: 'quinn' },
      truncated: false,
      head: { seq: 7, hash: 'ab'.repeat(32) },
      verify: { ok: true, entries: 7, firstBroken: null },
      entries: [
        {
          seq: 3,
          at: Date.UTC(2026, 2, 10, 8, 55),
          actor: 'quinn',
          actorName: 'Quinn QA',
          action: 'location.updated',
          entityType: 'location',
          entityId: 'room-1',
          subject: 'Location Room 1',
          summary: 'Location Room 1 updated: max 8 °C → 10 °C',
          changes: [{ field: 'max', before: '8 °C', after: '10 °C' }],
          reason: '=HYPERLINK("http://evil")',
          hash: 'cd'.repeat(32),
        },
      ],
    };
    const csv = renderAuditCsv(x);
    expect(csv.endsWith('\r\n')).toBe(true);
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toMatch(/^"record","seq","time_utc","actor","actor_name","action",/);
    const fields = (l: string) => l.match(/"(?:[^"]|"")*"/g)!.length;
    for (const l of lines) expect(fields(l)).toBe(fields(lines[0]!));
    expect(csv).toContain('"meta","","","","","","","","Filters","actor = quinn"');
    expect(csv).toContain('"Range","seq 3 to 3, 2026-03-10 08:55:00 UTC to 2026-03-10 08:55:00 UTC"');
    expect(csv).toContain(`"Chain head","seq 7, SHA-256 ${'ab'.repeat(32)}"`);
    expect(csv).toContain('"Chain verification","verified: all 7 entries link and match their hashes"');
    const row = lines.at(-1)!;
    expect(row).toContain('"entry","3","2026-03-10T08:55:00.000Z","quinn","Quinn QA","location.updated"');
    expect(row).toContain('"max: 8 °C → 10 °C"');
    expect(row).toContain(`"'=HYPERLINK(""http://evil"")"`);
  });
});
