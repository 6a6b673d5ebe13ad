/** A segment tree over scores: O(log n) update, O(1) arg-max; ties go to the lowest index. */
export class MaxTree {
  readonly values: Float64Array;
  private readonly size: number;
  private readonly tree: Int32Array;

  constructor(n: number) {
    this.values = new Float64Array(n).fill(-Infinity);
    let size = 1;
    while (size < n) size <<= 1;
    this.size = size;
    this.tree = new Int32Array(2 * size).fill(-1);
    for (let i = 0; i < n; i++) this.tree[size + i] = i;
    for (let i = size - 1; i >= 1; i--) this.tree[i] = this.pick(this.tree[2 * i]!, this.tree[2 * i + 1]!);
  }

  private pick(a: number, b: number): number {
    if (a < 0) return b;
    if (b < 0) return a;
    const va = this.values[a]!;
    const vb = this.values[b]!;
    return vb > va || (vb === va && b < a) ? b : a;
  }

  /** Sets every value at once, then rebuilds. */
  fill(values: Float64Array): void {
    this.values.set(values);
    for (let i = this.size - 1; i >= 1; i--) this.tree[i] = this.pick(this.tree[2 * i]!, this.tree[2 * i + 1]!);
  }

  set(i: number, v: number): void {
    if (this.values[i] === v) return;
    this.values[i] = v;
    let p = (this.size + i) >> 1;
    while (p >= 1) {
      this.tree[p] = this.pick(this.tree[2 * p]!, this.tree[2 * p + 1]!);
      p >>= 1;
    }
  }

  /** Index of the largest value, -1 when empty or every value is -Infinity. */
  best(): number {
    const i = this.tree[1] ?? -1;
    return i >= 0 && this.values[i]! > -Infinity ? i : -1;
  }
}
