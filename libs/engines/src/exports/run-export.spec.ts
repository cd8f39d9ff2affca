import fc from 'fast-check';
import { CsvRecordEnds, exportFileKey, manifestFileKey } from './run-export';

describe('the export engine, its pure parts', () => {
  it('names files by account, export, format and compression', () => {
    const row = { id: 'e1', account_id: 'a1', format: 'csv' as const, gzip: false };
    expect(exportFileKey(row)).toBe('a1/e1.csv');
    expect(exportFileKey({ ...row, format: 'ndjson', gzip: true })).toBe('a1/e1.ndjson.gz');
    expect(manifestFileKey('a1/e1.csv')).toBe('a1/e1.csv.manifest.json');
  });

  it('turns record ends into CRLF (RFC 4180) but leaves line breaks inside quoted fields, however the stream is cut', () => {
    const csv = 'id,note\n1,"two\nlines"\n2,"say ""hi""\n"\n3,plain\n';
    const expected = 'id,note\r\n1,"two\nlines"\r\n2,"say ""hi""\n"\r\n3,plain\r\n';
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: csv.length - 1 }), { maxLength: 6 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const ends = new CsvRecordEnds();
        let out = '';
        let from = 0;
        for (const p of [...points, csv.length]) {
          out += ends.convert(Buffer.from(csv.slice(from, p))).toString();
          from = p;
        }
        expect(out).toBe(expected);
        expect(ends.records).toBe(4);
      }),
      { seed: 42, numRuns: 200 },
    );
  });
});
