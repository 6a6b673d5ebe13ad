// Precompiles the JSON Schemas into one standalone ESM module (dist/generated/validators.js), so the
// CLI does not pay ajv's schema compilation at every start (about 200 ms). Run by `npm run build`.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import standaloneCode from 'ajv/dist/standalone/index.js';
import addFormatsModule from 'ajv-formats';

const addFormats = addFormatsModule.default ?? addFormatsModule;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const schemaDir = path.join(root, 'schemas');
const ajv = new Ajv2020({ strict: true, allErrors: true, allowUnionTypes: true, verbose: true, useDefaults: true, code: { source: true, esm: true } });
addFormats(ajv);
const exportsMap = {};
for (const f of readdirSync(schemaDir).sort()) {
  if (!f.endsWith('.schema.json')) continue;
  const schema = JSON.parse(readFileSync(path.join(schemaDir, f), 'utf8'));
  ajv.addSchema(schema);
  exportsMap[f.replace(/\.schema\.json$/, '').replace(/-(\w)/g, (_, c) => c.toUpperCase())] = schema.$id;
}
const generated = standaloneCode.default ? standaloneCode.default(ajv, exportsMap) : standaloneCode(ajv, exportsMap);
// ajv's ESM output still calls require() for its runtime helpers; give the module one.
const code = `import { createRequire } from 'node:module';\nconst require = createRequire(import.meta.url);\n${generated}`;
const out = path.join(root, 'dist', 'generated');
mkdirSync(out, { recursive: true });
writeFileSync(path.join(out, 'validators.js'), code);
console.log(`compiled ${Object.keys(exportsMap).length} schemas into dist/generated/validators.js`);
