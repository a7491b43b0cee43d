/**
 * The CSV export's quoting (RFC 4180 §2) and its guard against spreadsheet formulas (OWASP "CSV Injection":
 * cells starting with =, +, -, @, tab or CR), read back with a strict RFC 4180 reader.
 */
import { CSV_COLUMNS, csvField, type ReportRow, renderCsv } from '../../../src/report/index';
import { parseCsv } from '../../helpers/csv';

describe('csvField', () => {
  it.each([
    ['i-bp1abc', 'i-bp1abc'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\r\nlines', '"two\r\nlines"'],
    ['line\nfeed', '"line\nfeed"'],
    ['=1+2', "'=1+2"],
    ['+1', "'+1"],
    ['-1', "'-1"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tTAB', "'\tTAB"],
    ['=HYPERLINK("http://x","y")', '"\'=HYPERLINK(""http://x"",""y"")"'],
    ['a=b', 'a=b'],
    ['', ''],
  ])('%j -> %j', (value, expected) => {
    expect(csvField(value)).toBe(expected);
  });

  it('writes numbers as they are and absent values as empty fields', () => {
    expect(csvField(12)).toBe('12');
    expect(csvField(undefined)).toBe('');
  });
});

describe('renderCsv', () => {
  const row = (over: Partial<ReportRow>): ReportRow => ({
    accountId: '',
    regionId: 'cn-hangzhou',
    executionId: 'exec-1',
    instanceId: 'i-1',
    role: 'EcsAppRole',
    outcome: 'Attached',
    ...over,
  });

  it('round-trips every field through a strict RFC 4180 reader, header first, CRLF line ends', () => {
    const rows = [
      row({ batch: 1 }),
      row({
        instanceId: 'i-2',
        outcome: 'Failed',
        reason: 'InvalidParameter',
        message: '=cmd|" /C calc"!A0, then\r\n"more"',
        batch: 2,
      }),
      row({ instanceId: 'i-3', outcome: 'Skipped', reason: 'OtherRole', previousRole: 'Other', rule: 'web' }),
    ];
    const text = renderCsv({ instances: rows });
    expect(text.endsWith('\r\n')).toBe(true);
    const records = parseCsv(text);
    expect(records[0]).toEqual(CSV_COLUMNS.map(([name]) => name));
    expect(records).toHaveLength(4);
    expect(records[1]).toEqual([
      '',
      'cn-hangzhou',
      'exec-1',
      '1',
      'i-1',
      '',
      'EcsAppRole',
      'Attached',
      '',
      '',
      '',
    ]);
    expect(records[2]![9]).toBe(`'=cmd|" /C calc"!A0, then\r\n"more"`);
    expect(records[3]).toEqual([
      '',
      'cn-hangzhou',
      'exec-1',
      '',
      'i-3',
      'web',
      'EcsAppRole',
      'Skipped',
      'OtherRole',
      '',
      'Other',
    ]);
  });

  it('is the header alone for no instance', () => {
    expect(parseCsv(renderCsv({ instances: [] }))).toEqual([CSV_COLUMNS.map(([name]) => name)]);
  });
});
