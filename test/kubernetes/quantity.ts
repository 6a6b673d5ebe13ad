/**
 * Kubernetes resource quantities ("500m", "2Gi", "1e3") as integer milli-units, the way the
 * apiserver and kubelet compare them. Enough of resource.Quantity for capacity checks.
 */
const SUFFIX: Record<string, number> = {
  n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};
const QUANTITY = /^([+-]?\d*\.?\d+)(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?)$/;

/** The quantity in milli-units (cpu "1" → 1000), rounded up like Quantity.MilliValue; undefined when malformed. */
export function toMilli(q: string | number | undefined): number | undefined {
  if (q === undefined) return undefined;
  if (typeof q === 'number') return Math.ceil(q * 1000);
  const m = QUANTITY.exec(q.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  const factor = m[2] ? 10 ** Number(m[2].slice(1)) : SUFFIX[m[3] ?? '']!;
  return Math.ceil(base * factor * 1000 - 1e-6);
}

export function isQuantity(q: unknown): boolean {
  return (typeof q === 'string' || typeof q === 'number') && toMilli(q) !== undefined;
}

/**
 * How the kubelet prints an amount in its admission messages: millicores for cpu, whole units
 * (bytes, devices) for everything else.
 */
export function kubeletAmount(resource: string, milli: number): number {
  return resource === 'cpu' ? milli : Math.ceil(milli / 1000);
}
