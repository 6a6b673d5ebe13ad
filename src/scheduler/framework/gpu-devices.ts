/** GPU device choice (SPEC §2): a share fits inside one device, n whole devices take n free ones. */

/** The device list of an instance without GPUs, shared (device lists are never mutated in place). */
export const NO_DEVICES: number[] = Object.freeze([]) as unknown as number[];

/**
 * The devices a request of `millis` takes given each device's used millis, or null when it
 * does not fit. A share goes to the fullest device that still holds it (best fit, lowest index
 * among equals); whole devices are the lowest-numbered entirely free ones.
 */
export function chooseDevices(used: Int32Array, millis: number): number[] | null {
  if (millis <= 0) return NO_DEVICES;
  if (millis < 1000) {
    let best = -1;
    let bestFree = Infinity;
    for (let d = 0; d < used.length; d++) {
      const free = 1000 - used[d]!;
      if (free >= millis && free < bestFree) {
        best = d;
        bestFree = free;
      }
    }
    return best < 0 ? null : [best];
  }
  const n = Math.ceil(millis / 1000);
  const out: number[] = [];
  for (let d = 0; d < used.length && out.length < n; d++) if (used[d] === 0) out.push(d);
  return out.length === n ? out : null;
}

/** Whether `chooseDevices` would succeed, without allocating. */
export function devicesFit(used: Int32Array, millis: number): boolean {
  if (millis <= 0) return true;
  if (millis < 1000) {
    const limit = 1000 - millis;
    for (let d = 0; d < used.length; d++) if (used[d]! <= limit) return true;
    return false;
  }
  const n = Math.ceil(millis / 1000);
  let free = 0;
  for (let d = 0; d < used.length; d++) if (used[d] === 0 && ++free >= n) return true;
  return false;
}

/** Millis a request takes on each chosen device. */
export function perDeviceMillis(millis: number): number {
  return millis < 1000 ? millis : 1000;
}
