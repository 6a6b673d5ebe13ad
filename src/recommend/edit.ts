/**
 * Change an agent's requests in its YAML file and nothing else. The yaml library's Document API
 * finds the nodes (spec.resources.requests.cpu / .memory of the Agent document with that name,
 * whichever document of the file it is) and their source ranges; the new values are spliced into
 * the original text at those ranges. Re-stringifying the document would re-format it (flow maps
 * gain padding, long strings fold, quotes change), so comments, order, spacing and the other
 * documents of the file stay byte for byte as they were; a value keeps its quoting style. A
 * request not declared yet is added after the last one, in the map's own style.
 */
import { createRequire } from 'node:module';
import type * as YamlLib from 'yaml';
import { QmError } from '../model/errors.js';

const requireCjs = createRequire(import.meta.url);
let yamlLib: typeof YamlLib | undefined;
const Y = (): typeof YamlLib => (yamlLib ??= requireCjs('yaml') as typeof YamlLib);

const MI = 2 ** 20;
const GI = 2 ** 30;

export interface RequestEdit {
  agent: string;
  cpuMillis?: number | undefined;
  memoryBytes?: number | undefined;
}

/** CPU as people write it: whole cores as a number, else millicores. */
export const cpuText = (millis: number): string => (millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`);
/** Memory in Gi when whole, else Mi (recommendations are rounded to Mi). */
export const memoryText = (bytes: number): string => (bytes % GI === 0 ? `${bytes / GI}Gi` : bytes % MI === 0 ? `${bytes / MI}Mi` : String(bytes));

function position(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `${before.length}:${before[before.length - 1]!.length + 1}`;
}

function quoted(node: YamlLib.Scalar, value: string): string {
  if (node.type === 'QUOTE_DOUBLE') return `"${value}"`;
  if (node.type === 'QUOTE_SINGLE') return `'${value}'`;
  return value;
}

interface Splice {
  at: number;
  end: number;
  text: string;
}

/** The splices for one agent's document. */
function splices(text: string, file: string, doc: YamlLib.Document.Parsed, edit: RequestEdit): Splice[] {
  const y = Y();
  const where = (offset: number) => `${file}:${position(text, offset)}`;
  const requests = doc.getIn(['spec', 'resources', 'requests'], true);
  if (!y.isMap(requests) || !requests.range) {
    const at = (y.isNode(requests) && requests.range?.[0]) || 0;
    throw new QmError('invalid', `${where(at)}: Agent '${edit.agent}': spec.resources.requests is not a map written in this file (an alias or missing), so qm recommend cannot change it`, 'write the requests out in the Agent document, or change them by hand');
  }
  const out: Splice[] = [];
  const missing: string[] = [];
  for (const [key, value] of [['cpu', edit.cpuMillis === undefined ? undefined : cpuText(edit.cpuMillis)], ['memory', edit.memoryBytes === undefined ? undefined : memoryText(edit.memoryBytes)]] as const) {
    if (value === undefined) continue;
    const node = requests.get(key, true);
    if (node === undefined) {
      missing.push(`${key}: ${value}`);
      continue;
    }
    if (!y.isScalar(node) || !node.range || node.type === 'BLOCK_FOLDED' || node.type === 'BLOCK_LITERAL') {
      const at = (y.isNode(node) && node.range?.[0]) || requests.range[0];
      throw new QmError('invalid', `${where(at)}: Agent '${edit.agent}': requests.${key} is not a plain value (an alias or a block), so qm recommend cannot change it`, `write it as ${key}: ${value}, or change it by hand`);
    }
    out.push({ at: node.range[0], end: node.range[1], text: quoted(node, value) });
  }
  if (missing.length > 0) {
    const last = requests.items[requests.items.length - 1];
    const lastEnd = (last && y.isNode(last.value) && last.value.range?.[1]) || (last && y.isNode(last.key) && last.key.range?.[1]) || undefined;
    if (requests.flow) {
      // `{cpu: 1}` → `{cpu: 1, memory: 512Mi}`; `{}` → `{memory: 512Mi}`.
      const at = lastEnd ?? text.indexOf('{', requests.range[0]) + 1;
      out.push({ at, end: at, text: `${lastEnd === undefined ? '' : ', '}${missing.join(', ')}` });
    } else if (lastEnd !== undefined && last && y.isNode(last.key) && last.key.range) {
      const lineStart = text.lastIndexOf('\n', last.key.range[0] - 1) + 1;
      const indent = text.slice(lineStart, last.key.range[0]);
      const eol = text.indexOf('\n', lastEnd);
      // A file with CRLF line ends gets CRLF on the new line too.
      const crlf = eol > 0 && text[eol - 1] === '\r';
      const at = eol === -1 ? text.length : crlf ? eol - 1 : eol;
      out.push({ at, end: at, text: missing.map((m) => `${crlf ? '\r\n' : '\n'}${indent}${m}`).join('') });
    }
  }
  return out;
}

/** The file's text with these agents' requests changed; every agent must have its document in the file. */
export function editRequests(text: string, file: string, edits: readonly RequestEdit[]): string {
  const y = Y();
  const docs = y.parseAllDocuments(text, { version: '1.2' });
  if (!Array.isArray(docs)) throw new QmError('invalid', `${file}: the file could not be parsed as YAML`, 'run qm validate');
  const all: Splice[] = [];
  for (const edit of edits) {
    const doc = docs.find((d) => d.get('kind') === 'Agent' && d.getIn(['metadata', 'name']) === edit.agent);
    if (!doc) throw new QmError('invalid', `${file}: no Agent document named '${edit.agent}' (did the file change since it was read?)`, 'run qm recommend again');
    all.push(...splices(text, file, doc, edit));
  }
  let out = text;
  for (const s of all.sort((a, b) => b.at - a.at)) out = out.slice(0, s.at) + s.text + out.slice(s.end);
  return out;
}
