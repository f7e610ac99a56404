import { describe, expect, it } from 'vitest';
import { createScanFramer } from '../../src/scan/scan-framer.js';

describe('scan framer (scanner byte stream → codes)', () => {
  it('ends a code at CR, LF or CR LF by default and drops empty lines', () => {
    const f = createScanFramer({ prefix: '', maxLength: 100 });
    expect(f.push('A1\rB2\nC3\r\n\r\nD')).toEqual([{ line: 'A1' }, { line: 'B2' }, { line: 'C3' }]);
    expect(f.push('4\r')).toEqual([{ line: 'D4' }]);
  });

  it('joins a code split over chunks, with a configured suffix and prefix', () => {
    const f = createScanFramer({ prefix: '\u0002', suffix: '\u0003', maxLength: 100 });
    expect(f.push('\u0002]d201095')).toEqual([]);
    expect(f.push('21234543213\u0003\u0002]C1')).toEqual([{ line: ']d20109521234543213' }]);
    expect(f.push('00106141411234567897\u0003')).toEqual([{ line: ']C100106141411234567897' }]);
  });

  it('keeps CR and LF inside a code when the suffix is another character', () => {
    const f = createScanFramer({ prefix: '', suffix: '\t', maxLength: 100 });
    expect(f.push('a\rb\t')).toEqual([{ line: 'a\rb' }]);
  });

  it('reports an overlong line once and recovers at the next suffix', () => {
    const f = createScanFramer({ prefix: '', maxLength: 16 });
    expect(f.push('x'.repeat(10))).toEqual([]);
    expect(f.push('x'.repeat(10))).toEqual([]); // 20 > 16: dropped, not kept in memory
    expect(f.push('yy\rOK\r')).toEqual([{ overlong: 22 }, { line: 'OK' }]);
    expect(f.push(`${'z'.repeat(17)}\r`)).toEqual([{ overlong: 17 }]);
  });
});
