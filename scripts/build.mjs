// Build: TypeScript → dist/, the snapshot schema → a standalone validator module (so loading a
// snapshot does not compile the schema at start-up), and oclif.manifest.json (so start-up does
// not import every command to learn its flags).
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const step = (what) => process.stderr.write(`build: ${what}\n`);

step('tsc');
rmSync(join(root, 'dist'), { recursive: true, force: true });
rmSync(join(root, 'oclif.manifest.json'), { force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], {
  stdio: 'inherit',
});

step('snapshot schema → standalone validator');
const { default: Ajv } = await import('ajv');
const { default: standaloneCode } = await import('ajv/dist/standalone/index.js');
const schema = JSON.parse(readFileSync(join(root, 'docs/snapshot.schema.json'), 'utf8'));
const ajv = new Ajv({ allErrors: false, strict: false, code: { source: true, esm: true } });
const validate = ajv.compile(schema);
const out = join(root, 'dist/src/sources/snapshot/snapshot-validator.generated.js');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, standaloneCode(ajv, validate));

step('oclif.manifest.json');
const { Plugin } = await import('@oclif/core');
const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true });
await plugin.load();
const manifest = plugin.manifest;
if (!manifest || Object.keys(manifest.commands).length === 0) throw new Error('build: no commands found for the manifest');
writeFileSync(join(root, 'oclif.manifest.json'), JSON.stringify(manifest, null, 2));
step(`done (${Object.keys(manifest.commands).length} commands)`);
