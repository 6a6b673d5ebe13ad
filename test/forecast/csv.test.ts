import { describe, expect, it } from 'vitest';
import { formatProblem, parseMetricsCsv, parseTimestamp, selectSeries } from '../../src/forecast/csv.js';

describe('parseTimestamp', () => {
  it.each([
    { s: '2026-11-28T10:00:00Z', want: 1795860000 },
    { s: '2026-11-28T10:00:00', want: 1795860000 },
    { s: '2026-11-28 10:00:00', want: 1795860000 },
    { s: '2026-11-28T11:00:00+01:00', want: 1795860000 },
    { s: '2026-11-28T11:00:00+0100', want: 1795860000 },
    { s: '2026-11-28T10:00:00.500Z', want: 1795860000.5 },
    { s: '2026-11-28T10:00Z', want: 1795860000 },
    { s: '2026-11-28', want: 1795824000 },
    { s: '1795860000', want: 1795860000 },
    { s: '1662859176.0', want: 1662859176 },
  ])('$s → $want', ({ s, want }) => expect(parseTimestamp(s)).toBe(want));

  it.each([
    { s: 'yesterday', want: /expected a timestamp/ },
    { s: '2026-13-01T00:00:00Z', want: /not a valid date/ },
    { s: '1795860000000', want: /looks like milliseconds/ },
  ])('$s is refused', ({ s, want }) => expect(parseTimestamp(s)).toMatch(want));
});

describe('parseMetricsCsv', () => {
  it('reads timestamp,value', () => {
    const r = parseMetricsCsv('timestamp,value\n2026-11-28T10:00:00Z,1.5\n2026-11-28T10:05:00Z,2\n', 'a.csv');
    expect(r.problems).toEqual([]);
    expect([...r.series.entries()]).toEqual([['', [{ t: 1795860000, v: 1.5 }, { t: 1795860300, v: 2 }]]]);
  });

  it('reads timestamp,series,value with CRLF, a BOM, quotes and blank lines', () => {
    const r = parseMetricsCsv('\uFEFFtimestamp,series,value\r\n1795860000,"req",10\r\n\r\n1795860000,gpu,0.5\r\n1795860300,req,NaN\r\n', 'b.csv');
    expect(r.problems).toEqual([]);
    expect(r.series.get('req')).toEqual([{ t: 1795860000, v: 10 }, { t: 1795860300, v: NaN }]);
    expect(r.series.get('gpu')).toEqual([{ t: 1795860000, v: 0.5 }]);
  });

  it('accepts the columns in any order, and NaN/Inf/empty values (dropped later with a warning)', () => {
    const r = parseMetricsCsv('value,timestamp\n,1795860000\nInf,1795860300\n-inf,1795860600\n', 'c.csv');
    expect(r.problems).toEqual([]);
    expect(r.series.get('')!.map((p) => p.v)).toEqual([NaN, Infinity, -Infinity]);
  });

  it.each([
    { name: 'empty file', text: '', want: 'e.csv:1:1: the file is empty: expected a header timestamp,value or timestamp,series,value' },
    { name: 'wrong header', text: 'time,val\n1,2\n', want: 'e.csv:1:1: expected the header timestamp,value or timestamp,series,value, and field 1 is not one of timestamp, series, value (or repeats one)' },
    { name: 'extra column', text: 'timestamp,value,host\n', want: 'e.csv:1:17: expected the header timestamp,value or timestamp,series,value, and field 3 is not one of timestamp, series, value (or repeats one)' },
    { name: 'no value column', text: 'timestamp,series\n', want: 'e.csv:1:1: expected the header timestamp,value or timestamp,series,value, and it lacks the value column' },
    { name: 'bad timestamp on line 3', text: 'timestamp,value\n1795860000,1\nnoon,2\n', want: 'e.csv:3:1: expected a timestamp: ISO 8601 (2026-11-28T10:00:00Z) or unix seconds' },
    { name: 'bad value, column of the field', text: 'timestamp,value\n1795860000,  lots\n', want: 'e.csv:2:14: expected a number as the value (or NaN, Inf, or nothing)' },
    { name: 'missing field', text: 'timestamp,series,value\n1795860000,req\n', want: 'e.csv:2:1: expected 3 fields (timestamp,series,value), found 2' },
    { name: 'empty series name', text: 'timestamp,series,value\n1795860000,,3\n', want: 'e.csv:2:12: the series name is empty' },
    { name: 'milliseconds', text: 'timestamp,value\n\n1795860000000,1\n', want: 'e.csv:3:1: the timestamp looks like milliseconds: write unix seconds or ISO 8601' },
  ])('$name', ({ text, want }) => {
    const r = parseMetricsCsv(text, 'e.csv');
    expect(formatProblem(r.problems[0]!)).toBe(want);
  });

  it('never quotes the text it found: a secret in a file that is not a CSV stays out of every message', () => {
    const secret = 'QM_SECRET_c0ffee';
    for (const text of [`${secret}=hunter2\n`, `timestamp,value\n${secret},1\n`, `timestamp,value\n1795860000,${secret}\n`, `timestamp,${secret}\n`, `timestamp,value\n${secret}\n`, `A=1\0${secret}=2\0`]) {
      const r = parseMetricsCsv(text, 'x.csv');
      expect(r.problems.length).toBeGreaterThan(0);
      for (const p of r.problems) expect(formatProblem(p)).not.toContain(secret);
    }
  });

  it('collects the problems of every line (up to 20)', () => {
    const r = parseMetricsCsv('timestamp,value\n' + 'x,1\n'.repeat(30), 'f.csv');
    expect(r.problems).toHaveLength(20);
    expect(r.problems.map((p) => p.line).slice(0, 3)).toEqual([2, 3, 4]);
  });
});

describe('selectSeries', () => {
  const two = parseMetricsCsv('timestamp,series,value\n1,a,1\n1,b,2\n', 'm.csv');
  const one = parseMetricsCsv('timestamp,series,value\n1,a,1\n', 'm.csv');
  const plain = parseMetricsCsv('timestamp,value\n1,1\n', 'p.csv');
  it.each([
    { name: 'by name', parsed: two, series: 'b', want: { name: 'b', points: [{ t: 1, v: 2 }] } },
    { name: 'the only one', parsed: one, series: undefined, want: { name: 'a', points: [{ t: 1, v: 1 }] } },
    { name: 'a two-column file under the given name', parsed: plain, series: 'x', want: { name: 'x', points: [{ t: 1, v: 1 }] } },
    { name: 'unknown name', parsed: two, series: 'c', want: "m.csv has no series 'c'; it has: a, b" },
    { name: 'several and no name', parsed: two, series: undefined, want: 'm.csv has 2 series (a, b): choose one with --series' },
    { name: 'names that are not identifiers are counted, not quoted', parsed: parseMetricsCsv('timestamp,series,value\n1,pass word!,1\n1,b,2\n', 'm.csv'), series: 'c', want: "m.csv has no series 'c'; it has: 2 series" },
  ])('$name', ({ parsed, series, want }) => expect(selectSeries(parsed, parsed === plain ? 'p.csv' : 'm.csv', series)).toEqual(want));
});
