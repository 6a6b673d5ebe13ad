import { describe, expect, it } from 'vitest';
import { formatBytes, parseBytes, parseCpu, parseDuration, parseGpu, parseNetwork, parseResource } from './quantity.js';

const okCases: [string, (raw: unknown) => ReturnType<typeof parseCpu>, unknown, number][] = [
  ['cpu integer', parseCpu, 2, 2000],
  ['cpu fraction', parseCpu, 0.5, 500],
  ['cpu millis', parseCpu, '500m', 500],
  ['cpu string cores', parseCpu, '2', 2000],
  ['cpu 1.5 string', parseCpu, '1.5', 1500],
  ['memory Mi', parseBytes, '512Mi', 512 * 2 ** 20],
  ['memory Gi', parseBytes, '4Gi', 4 * 2 ** 30],
  ['memory Ti', parseBytes, '1Ti', 2 ** 40],
  ['memory decimal M', parseBytes, '500M', 500e6],
  ['memory decimal G', parseBytes, '2G', 2e9],
  ['memory k', parseBytes, '3k', 3000],
  ['memory plain bytes', parseBytes, 1024, 1024],
  ['memory plain string', parseBytes, '1024', 1024],
  ['memory fractional Gi', parseBytes, '1.5Gi', 1.5 * 2 ** 30],
  ['memory exponent', parseBytes, '1e3', 1000],
  ['network Mbps', parseNetwork, '100Mbps', 100],
  ['network Gbps', parseNetwork, '10Gbps', 10000],
  ['network number', parseNetwork, 250, 250],
  ['network fractional Gbps', parseNetwork, '2.5Gbps', 2500],
  ['gpu whole', parseGpu, 2, 2000],
  ['gpu share', parseGpu, 0.25, 250],
  ['gpu share string', parseGpu, '0.5', 500],
  ['gpu millis', parseGpu, '300m', 300],
  ['gpu one', parseGpu, 1, 1000],
  ['duration seconds', parseDuration, '30s', 30],
  ['duration minutes', parseDuration, '5m', 300],
  ['duration hours', parseDuration, '1h', 3600],
  ['duration days', parseDuration, '7d', 604800],
  ['duration combined', parseDuration, '1h30m', 5400],
  ['duration zero', parseDuration, '0s', 0],
];

const failCases: [string, (raw: unknown) => ReturnType<typeof parseCpu>, unknown, RegExp, RegExp | undefined][] = [
  ['memory GB with space', parseBytes, '4GB ', /memory '4GB ' is not a quantity/, /write 4Gi or 4G/],
  ['memory GB', parseBytes, '4GB', /not a quantity/, /4Gi or 4G/],
  ['memory lowercase gi', parseBytes, '4gi', /not a quantity/, /4Gi or 4G/],
  ['memory millibytes', parseBytes, '500m', /millibytes/, /500Mi or 500M/],
  ['memory negative', parseBytes, -1, /non-negative/, undefined],
  ['memory fractional bytes', parseBytes, '1.5', /whole number of bytes/, /write 2/],
  ['memory list', parseBytes, [1], /not a list/, /4Gi/],
  ['cpu word', parseCpu, 'two', /cpu 'two' is not a quantity/, /500m/],
  ['cpu cores suffix', parseCpu, '2 cores', /not a quantity/, /write 2/],
  ['cpu too fine', parseCpu, 0.0005, /finer than one millicore/, /1m/],
  ['cpu negative', parseCpu, -2, /non-negative/, undefined],
  ['cpu spaces', parseCpu, ' 2', /not a quantity/, /remove the spaces/],
  ['network bytes', parseNetwork, '10GB/s', /bytes per second/, /80Gbps/],
  ['network lower', parseNetwork, '10gbps', /not a bandwidth/, /10Gbps/],
  ['network fraction of Mbps', parseNetwork, '1500Kbps', /whole number of Mbps/, /2Mbps/],
  ['gpu above one share', parseGpu, 1.5, /share above one device/, /1 or 2 whole devices/],
  ['gpu too fine', parseGpu, 0.0001, /finer than 1\/1000/, undefined],
  ['gpu word', parseGpu, 'one', /not a GPU count/, /0.25/],
  ['duration words', parseDuration, '5 minutes', /not a duration/, /"5m"/],
  ['duration bare number', parseDuration, 10, /has no unit/, /"10s"/],
  ['duration bare string', parseDuration, '10', /has no unit/, /"10s"/],
  ['duration map', parseDuration, {}, /not a map/, undefined],
];

describe('quantities (SPEC §1)', () => {
  it.each(okCases)('%s', (_n, parse, raw, want) => {
    expect(parse(raw)).toEqual({ ok: true, value: want });
  });
  it.each(failCases)('%s is refused with a fix', (_n, parse, raw, msg, hint) => {
    const r = parse(raw);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.message).toMatch(msg);
    if (hint) expect(r.hint).toMatch(hint);
  });
  it('maps resource keys to canonical keys', () => {
    expect(parseResource('cpu', '250m')).toEqual({ ok: true, value: ['cpuMillis', 250] });
    expect(parseResource('memory', '1Gi')).toEqual({ ok: true, value: ['memoryBytes', 2 ** 30] });
    expect(parseResource('storage', '1Ti')).toEqual({ ok: true, value: ['storageBytes', 2 ** 40] });
    expect(parseResource('network', '1Gbps')).toEqual({ ok: true, value: ['networkMbps', 1000] });
    expect(parseResource('gpu', 0.5)).toEqual({ ok: true, value: ['gpuMillis', 500] });
    expect(parseResource('example.com/fpga', 2)).toEqual({ ok: true, value: ['example.com/fpga', 2] });
    expect(parseResource('example.com/fpga', 1.5).ok).toBe(false);
  });
  it('formats bytes readably', () => {
    expect(formatBytes(4 * 2 ** 30)).toBe('4Gi');
    expect(formatBytes(1.5 * 2 ** 20)).toBe('1.5Mi');
    expect(formatBytes(100)).toBe('100');
  });
});
