// Build: TypeScript → dist/, the snapshot schema → a standalone validator module (so loading a
// snapshot does not compile the schema at start-up), and oclif.manifest.json (so start-up does
// not import every command to learn its flags).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const step = (what) => process.stderr.write(`build: ${what}\n`);

// Compile into dist.next and swap it in at the end, so a failed compile never destroys a working
// build and a concurrent `netsleuth` run sees the old or the new build, not an empty one.
const next = join(root, `dist.next-${process.pid}`);
step('tsc');
rmSync(next, { recursive: true, force: true });
try {
  execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json'), '--outDir', next], {
    stdio: 'inherit',
  });
} catch {
  rmSync(next, { recursive: true, force: true });
  process.stderr.write('build: tsc failed; the previous build (if any) is untouched\n');
  process.exit(1);
}

step('snapshot schema → standalone validator');
const { default: Ajv } = await import('ajv');
const { default: standaloneCode } = await import('ajv/dist/standalone/index.js');
const schema = JSON.parse(readFileSync(join(root, 'docs/snapshot.schema.json'), 'utf8'));
// CommonJS on purpose: Ajv's ESM output still require()s its runtime helpers (e.g. for minLength).
const ajv = new Ajv({ allErrors: false, strict: false, code: { source: true } });
const validate = ajv.compile(schema);
const out = join(next, 'src/sources/snapshot/snapshot-validator.generated.cjs');
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, standaloneCode(ajv, validate));

step('swap dist');
const old = join(root, `dist.old-${process.pid}`);
if (existsSync(join(root, 'dist'))) renameSync(join(root, 'dist'), old);
renameSync(next, join(root, 'dist'));
rmSync(old, { recursive: true, force: true });

step('oclif.manifest.json');
const { Plugin } = await import('@oclif/core');
const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true });
await plugin.load();
const manifest = plugin.manifest;
if (!manifest || Object.keys(manifest.commands).length === 0) throw new Error('build: no commands found for the manifest');
const tmpManifest = join(root, `.oclif.manifest.json.${process.pid}`);
writeFileSync(tmpManifest, JSON.stringify(manifest, null, 2));
renameSync(tmpManifest, join(root, 'oclif.manifest.json'));
step(`done (${Object.keys(manifest.commands).length} commands)`);
