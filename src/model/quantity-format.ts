/** Canonical resources back to the quantity syntax of SPEC §1, for snapshots people read. */
import type { ResourceList } from './quantity.js';

function bytes(v: number): string | number {
  for (const [s, m] of [['Ti', 2 ** 40], ['Gi', 2 ** 30], ['Mi', 2 ** 20], ['Ki', 2 ** 10]] as const) if (v >= m && v % m === 0) return `${v / m}${s}`;
  return v;
}

/** {cpuMillis: 2500, memoryBytes: 4Gi…} → {cpu: "2500m", memory: "4Gi", …}. */
export function toQuantities(r: ResourceList): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(r)) {
    switch (k) {
      case 'cpuMillis': out.cpu = v % 1000 === 0 ? v / 1000 : `${v}m`; break;
      case 'memoryBytes': out.memory = bytes(v); break;
      case 'storageBytes': out.storage = bytes(v); break;
      case 'networkMbps': out.network = v >= 1000 && v % 1000 === 0 ? `${v / 1000}Gbps` : `${v}Mbps`; break;
      case 'gpuMillis': out.gpu = v / 1000; break;
      default: out[k] = v;
    }
  }
  return out;
}
