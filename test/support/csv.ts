/** Reads the CSV export in tests: an RFC 4180 parser small enough to trust by reading it. */
import assert from 'node:assert/strict';

/** Parses RFC 4180 CSV (quoted fields, doubled quotes, CRLF) into records of fields. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (char === '"') quoted = false;
      else field += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      record.push(field);
      field = '';
    } else if (char === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 1;
    } else field += char;
  }
  assert.equal(field + record.join(''), '', 'the file ends with CRLF');
  return records;
}
