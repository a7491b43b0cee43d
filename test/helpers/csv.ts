/**
 * An RFC 4180 reader for tests (https://www.rfc-editor.org/rfc/rfc4180 §2): quoted fields may hold
 * commas, CR/LF and doubled quotes; records end with CRLF. Strict: a stray quote or a record of another
 * width throws, so that a writer's quoting mistake fails the test instead of shifting columns.
 */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const char = text[i]!;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (char === '"') {
        quoted = false;
        i += 1;
        if (i < text.length && text[i] !== ',' && text[i] !== '\r')
          throw new Error(`character after a closing quote at ${i}`);
      } else {
        field += char;
        i += 1;
      }
      continue;
    }
    if (char === '"') {
      if (field !== '') throw new Error(`quote inside an unquoted field at ${i}`);
      quoted = true;
      i += 1;
    } else if (char === ',') {
      record.push(field);
      field = '';
      i += 1;
    } else if (char === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
    } else if (char === '\n' || char === '\r') {
      throw new Error(`bare line break at ${i} (RFC 4180 records end with CRLF)`);
    } else {
      field += char;
      i += 1;
    }
  }
  if (quoted) throw new Error('unterminated quoted field');
  if (field !== '' || record.length > 0) throw new Error('last record does not end with CRLF');
  const width = records[0]?.length ?? 0;
  for (const [n, r] of records.entries())
    if (r.length !== width) throw new Error(`record ${n} has ${r.length} fields, the header ${width}`);
  return records;
}

/** Records as objects keyed by the header's names. */
export function csvObjects(text: string): Record<string, string>[] {
  const [header = [], ...rows] = parseCsv(text);
  return rows.map((row) => Object.fromEntries(header.map((name, i) => [name, row[i] ?? ''])));
}
