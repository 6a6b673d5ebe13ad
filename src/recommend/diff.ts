/**
 * A unified diff (`diff -u` / `git diff` shape, 3 lines of context) of two versions of a text
 * file, for showing what `qm recommend --write` would change. Lines are matched by a longest
 * common subsequence; policy files are small, and past a size where that gets costly the changed
 * middle is shown as one hunk (still a correct diff, only less tight).
 */

type Op = { kind: ' ' | '-' | '+'; line: string };

const MAX_CELLS = 4_000_000;

function lines(text: string): string[] {
  const out = text.split('\n');
  if (out[out.length - 1] === '') out.pop();
  return out;
}

/** The edit script between a and b: common lines kept, the rest removed then added. */
function script(a: readonly string[], b: readonly string[]): Op[] {
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  const middle: Op[] = [];
  if (am.length * bm.length > MAX_CELLS) {
    middle.push(...am.map((line) => ({ kind: '-' as const, line })), ...bm.map((line) => ({ kind: '+' as const, line })));
  } else {
    // lcs[i][j]: the LCS length of am[i..] and bm[j..].
    const w = bm.length + 1;
    const lcs = new Uint32Array((am.length + 1) * w);
    for (let i = am.length - 1; i >= 0; i--) for (let j = bm.length - 1; j >= 0; j--) lcs[i * w + j] = am[i] === bm[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
    let i = 0;
    let j = 0;
    while (i < am.length || j < bm.length) {
      if (i < am.length && j < bm.length && am[i] === bm[j]) {
        middle.push({ kind: ' ', line: am[i++]! });
        j++;
      } else if (i < am.length && (j === bm.length || lcs[(i + 1) * w + j]! >= lcs[i * w + j + 1]!)) middle.push({ kind: '-', line: am[i++]! });
      else middle.push({ kind: '+', line: bm[j++]! });
    }
  }
  return [...a.slice(0, pre).map((line) => ({ kind: ' ' as const, line })), ...middle, ...a.slice(a.length - suf).map((line) => ({ kind: ' ' as const, line }))];
}

/** `--- a/FILE`, `+++ b/FILE` and the hunks; '' when the texts are equal. */
export function unifiedDiff(file: string, before: string, after: string, context = 3): string {
  if (before === after) return '';
  const ops = script(lines(before), lines(after));
  const changed = ops.map((o, k) => (o.kind === ' ' ? -1 : k)).filter((k) => k >= 0);
  const out = [`--- a/${file}`, `+++ b/${file}`];
  let k = 0;
  while (k < changed.length) {
    // Changes closer than 2 × context share one hunk.
    let last = k;
    while (last + 1 < changed.length && changed[last + 1]! - changed[last]! <= 2 * context) last++;
    const from = Math.max(0, changed[k]! - context);
    const to = Math.min(ops.length, changed[last]! + context + 1);
    let aLine = 1;
    let bLine = 1;
    for (const o of ops.slice(0, from)) {
      if (o.kind !== '+') aLine++;
      if (o.kind !== '-') bLine++;
    }
    const hunk = ops.slice(from, to);
    const aLen = hunk.filter((o) => o.kind !== '+').length;
    const bLen = hunk.filter((o) => o.kind !== '-').length;
    const range = (start: number, len: number) => (len === 1 ? `${start}` : `${len === 0 ? start - 1 : start},${len}`);
    out.push(`@@ -${range(aLine, aLen)} +${range(bLine, bLen)} @@`, ...hunk.map((o) => `${o.kind}${o.line}`));
    k = last + 1;
  }
  return out.join('\n') + '\n';
}
