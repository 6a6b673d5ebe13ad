#!/usr/bin/env node
// Generates docs/reference.md, the field reference, from schemas/*.schema.json.
//
//   node scripts/gen-reference.mjs           write docs/reference.md
//   node scripts/gen-reference.mjs --check   exit 1 if docs/reference.md is out of date
//
// The schemas are the single source of truth for field names, types, defaults and descriptions;
// this script only lays them out. Output is deterministic: it follows the declaration order of
// the schemas and does not depend on the clock or the file system order.
import { readFileSync, readdirSync, writeFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..');
const DEFAULT_SCHEMAS_DIR = join(ROOT, 'schemas');
const DEFAULT_OUT = join(ROOT, 'docs', 'reference.md');
const COMMON = 'common.schema.json';

/** Sections in output order: the nine kinds, then the file formats. */
const SECTIONS = [
  { file: 'pool.schema.json', heading: 'Pool' },
  { file: 'agent.schema.json', heading: 'Agent' },
  { file: 'quota.schema.json', heading: 'Quota' },
  { file: 'affinity-rule.schema.json', heading: 'AffinityRule' },
  { file: 'scaling-policy.schema.json', heading: 'ScalingPolicy' },
  { file: 'scheduling-profile.schema.json', heading: 'SchedulingProfile' },
  { file: 'policy.schema.json', heading: 'Policy' },
  { file: 'metric-source.schema.json', heading: 'MetricSource' },
  { file: 'driver.schema.json', heading: 'Driver' },
  { file: 'snapshot.schema.json', heading: 'Snapshot' },
  { file: 'plan.schema.json', heading: 'Plan JSON' },
  { file: 'diagnostics.schema.json', heading: 'Diagnostics JSON' },
];

/** Loads every schema file of the directory, keyed by file name. */
function loadSchemas(schemasDir) {
  const schemas = new Map();
  for (const file of readdirSync(schemasDir).filter((f) => f.endsWith('.schema.json')).sort()) {
    schemas.set(file, JSON.parse(readFileSync(join(schemasDir, file), 'utf8')));
  }
  return schemas;
}

/** GitHub-style anchor of a heading. */
function anchor(heading) {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');
}

function escapeCell(text) {
  return String(text).replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function code(value) {
  return '`' + value + '`';
}

class Reference {
  constructor(schemas) {
    this.schemas = schemas;
  }

  /**
   * Resolves a schema's $ref (relative to the file it sits in). Returns the schema with the
   * referenced keywords merged under its own (own description and default win), the file the
   * result's own refs are relative to, and the name of the common definition it came from.
   */
  resolve(schema, file) {
    if (typeof schema !== 'object' || schema === null || typeof schema.$ref !== 'string') {
      return { schema, file, def: undefined };
    }
    const [refFile, fragment = ''] = schema.$ref.split('#');
    const targetFile = refFile === '' ? file : refFile;
    const root = this.schemas.get(targetFile);
    if (root === undefined) throw new Error(`${file}: $ref ${schema.$ref} names an unknown schema file`);
    let target = root;
    const segments = fragment.split('/').filter((s) => s !== '');
    for (const seg of segments) {
      target = target?.[seg.replace(/~1/g, '/').replace(/~0/g, '~')];
      if (target === undefined) throw new Error(`${file}: $ref ${schema.$ref} does not resolve`);
    }
    const inner = this.resolve(target, targetFile);
    const { $ref: _ref, ...own } = schema;
    const def = targetFile === COMMON && segments[0] === '$defs' && segments.length === 2 ? segments[1] : inner.def;
    return { schema: { ...inner.schema, ...own }, file: inner.file, def };
  }

  /** A short human description of a schema's type and bounds. */
  typeOf(schema, file, { inlineConstraints = true } = {}) {
    const { schema: s, file: f, def } = this.resolve(schema, file);
    if (def !== undefined && this.isScalarDef(def)) {
      const base = this.typeOf(this.schemas.get(COMMON).$defs[def], COMMON, { inlineConstraints: false });
      return `${base} ([${def}](#type-${def.toLowerCase()}))`;
    }
    if (s.const !== undefined) return code(JSON.stringify(s.const));
    if (Array.isArray(s.enum)) return s.enum.map((v) => code(JSON.stringify(v))).join(' | ');
    if (Array.isArray(s.oneOf)) return 'object, one of the variants below';
    const types = s.type === undefined ? [] : Array.isArray(s.type) ? s.type : [s.type];
    if (types.length === 0) return 'any JSON value';
    const parts = types.map((t) => {
      if (t === 'array') return s.items === undefined ? 'array' : `array of ${this.typeOf(s.items, f, { inlineConstraints })}`;
      if (t === 'object') {
        if (s.properties !== undefined || s.patternProperties !== undefined) return 'object';
        if (typeof s.additionalProperties === 'object') return `map of ${this.typeOf(s.additionalProperties, f, { inlineConstraints })}`;
        return 'object';
      }
      return t;
    });
    const constraints = [];
    if (s.minimum !== undefined && s.maximum !== undefined) constraints.push(`${s.minimum}–${s.maximum}`);
    else if (s.minimum !== undefined) constraints.push(`≥ ${s.minimum}`);
    if (s.exclusiveMinimum !== undefined) constraints.push(`> ${s.exclusiveMinimum}`);
    if (s.maximum !== undefined && s.minimum === undefined) constraints.push(`≤ ${s.maximum}`);
    if (s.exclusiveMaximum !== undefined) constraints.push(`< ${s.exclusiveMaximum}`);
    if (inlineConstraints) {
      if (s.format !== undefined) constraints.push(`format ${s.format}`);
      if (s.pattern !== undefined) constraints.push(`pattern ${code(s.pattern)}`);
      if (s.maxLength !== undefined) constraints.push(`at most ${s.maxLength} characters`);
      if (s.minItems !== undefined && s.minItems > 0) constraints.push(`at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}`);
      if (s.uniqueItems === true) constraints.push('no duplicates');
    }
    const text = parts.join(' or ');
    return constraints.length === 0 ? text : `${text}, ${constraints.join(', ')}`;
  }

  /** Common definitions rendered as named types (linked) rather than expanded as tables. */
  isScalarDef(def) {
    const s = this.schemas.get(COMMON).$defs[def];
    if (s === undefined) return false;
    if (s.type === 'object' || s.type === 'array') return false;
    return true;
  }

  /**
   * The tables describing a schema: one per object with properties, in depth-first order.
   * `path` is the dotted path of the object ('' for the document root).
   */
  tables(schema, file, path, title, out, depth = 0) {
    if (depth > 20) throw new Error(`schema nesting too deep at ${path}`);
    const { schema: s, file: f } = this.resolve(schema, file);
    if (Array.isArray(s.oneOf)) {
      for (const variant of s.oneOf) {
        const v = this.resolve(variant, f).schema;
        const discriminator = v.properties?.type?.const;
        const label = discriminator === undefined ? title : `${title} — \`type: ${discriminator}\``;
        this.tables(variant, f, path, label, out, depth + 1);
      }
      return;
    }
    if (s.type === 'array' && s.items !== undefined) {
      this.tables(s.items, f, `${path}[]`, code(`${path}[]`), out, depth + 1);
      return;
    }
    if (s.type !== 'object') return;
    if (s.properties === undefined && s.patternProperties === undefined) {
      if (typeof s.additionalProperties === 'object') {
        this.tables(s.additionalProperties, f, `${path}.<key>`, code(`${path}.<key>`), out, depth + 1);
      }
      return;
    }
    const prefix = path === '' ? '' : `${path}.`;
    const required = new Set(s.required ?? []);
    const rows = [];
    const children = [];
    for (const [name, prop] of Object.entries(s.properties ?? {})) {
      rows.push(this.row(`${prefix}${name}`, prop, f, required.has(name)));
      children.push([`${prefix}${name}`, prop]);
    }
    for (const [pattern, prop] of Object.entries(s.patternProperties ?? {})) {
      const key = pattern.includes('/') ? '<domain/name>' : '<key>';
      rows.push(this.row(`${prefix}${key}`, prop, f, false));
      children.push([`${prefix}${key}`, prop]);
    }
    if (typeof s.additionalProperties === 'object') {
      rows.push(this.row(`${prefix}<key>`, s.additionalProperties, f, false));
      children.push([`${prefix}<key>`, s.additionalProperties]);
    }
    const lines = [];
    lines.push(`### ${title}`, '');
    const own = this.resolve(s, f).schema.description;
    if (own !== undefined && depth > 0) lines.push(escapeCell(own), '');
    if (s.additionalProperties === true) lines.push('Fields other than those listed are allowed.', '');
    lines.push('| Field | Type | Default | Required | Description |', '|---|---|---|---|---|');
    for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
    lines.push('');
    out.push(lines.join('\n'));
    for (const [childPath, child] of children) this.tables(child, f, childPath, code(childPath), out, depth + 1);
  }

  row(path, prop, file, required) {
    const { schema: s } = this.resolve(prop, file);
    const def = s.default === undefined ? '' : code(JSON.stringify(s.default));
    return [code(path), escapeCell(this.typeOf(prop, file)), escapeCell(def), required ? 'yes' : '', escapeCell(s.description ?? '')];
  }

  commonTypes() {
    const lines = [
      '## Common types',
      '',
      'Scalar types shared by the kinds, defined in [`schemas/common.schema.json`](../schemas/common.schema.json). Units of quantities and durations are parsed by `qm validate`, which explains a value it cannot read (code `InvalidQuantity`).',
      '',
      '| Type | JSON type | Description |',
      '|---|---|---|',
    ];
    for (const [name, s] of Object.entries(this.schemas.get(COMMON).$defs)) {
      if (!this.isScalarDef(name)) continue;
      lines.push(`| <a id="type-${name.toLowerCase()}"></a>${code(name)} | ${escapeCell(this.typeOf(s, COMMON))} | ${escapeCell(s.description ?? '')} |`);
    }
    lines.push('');
    return lines.join('\n');
  }

  section({ file, heading }) {
    const schema = this.schemas.get(file);
    if (schema === undefined) throw new Error(`missing schema file ${file}`);
    const parts = [`## ${heading}`, '', escapeCell(schema.description ?? ''), '', `Schema: [\`schemas/${file}\`](../schemas/${file}) (\`${schema.$id}\`)`, ''];
    const tables = [];
    const rootTitle = schema.type === 'array' ? 'Top level (an array)' : 'Top level';
    if (schema.type === 'array') this.tables(schema.items, file, '', `${heading}: each item`, tables);
    else this.tables(schema, file, '', rootTitle, tables);
    return parts.join('\n') + '\n' + tables.join('\n');
  }

  render() {
    const out = [
      '# Field reference',
      '',
      '<!-- Generated by scripts/gen-reference.mjs from schemas/*.schema.json; do not edit. Run `npm run docs` after changing a schema. -->',
      '',
      'Every field of every Quartermaster document kind (`apiVersion: quartermaster.dev/v1alpha1`), of the snapshot file, and of the plan and diagnostics JSON outputs. The JSON Schemas in [`schemas/`](../schemas/) are the source of truth; this page is generated from them. Paths are dotted; `[]` stands for each item of a list, `<key>` for any key of a map, `<domain/name>` for an extended resource name such as `example.com/fpga`. A default applies when the field is absent.',
      '',
      '## Contents',
      '',
      ...SECTIONS.map((s) => `- [${s.heading}](#${anchor(s.heading)})`),
      '- [Common types](#common-types)',
      '',
    ];
    for (const section of SECTIONS) out.push(this.section(section));
    out.push(this.commonTypes());
    return out.join('\n').replace(/\n{3,}/g, '\n\n').replace(/\n*$/, '\n');
  }
}

/** The Markdown field reference for the schemas in `schemasDir`. */
export function renderReference(schemasDir = DEFAULT_SCHEMAS_DIR) {
  return new Reference(loadSchemas(schemasDir)).render();
}

function main(argv) {
  const check = argv.includes('--check');
  const text = renderReference(DEFAULT_SCHEMAS_DIR);
  if (check) {
    let current = '';
    try {
      current = readFileSync(DEFAULT_OUT, 'utf8');
    } catch {
      current = '';
    }
    if (current !== text) {
      console.error('docs/reference.md is out of date with schemas/: run `npm run docs` (node scripts/gen-reference.mjs) and commit the result.');
      return 1;
    }
    return 0;
  }
  writeFileSync(DEFAULT_OUT, text);
  console.log('wrote docs/reference.md');
  return 0;
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (invokedDirectly) process.exitCode = main(process.argv.slice(2));
