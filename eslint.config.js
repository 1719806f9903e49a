// ESLint flat config (`npm run lint`; scripts/test.sh runs it right after the type check).
//
// 1. The layer rule, `netsleuth/layers` (scripts/eslint-layers.js), over src/ and commands/:
//    DESIGN.md "Layers" — dependencies point one way, commands → report → analysis → model ←
//    sources. LAYERS below says, for each directory of src/, which layers (or single modules) it
//    may import, which npm packages and which Node builtins. Anything else is an error: when a
//    layer needs a type or helper from above, move that type or helper down (usually to src/model).
// 2. The stock recommended rules of ESLint and typescript-eslint (syntax only, no type
//    information: fast), with the few adjustments below. Formatting is Prettier's business
//    (.prettierrc.json), not the linter's.

import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import layers from './scripts/eslint-layers.js';

const ROOT = import.meta.dirname;

// src/dns is the DNS wire client. names, search and types are pure (no I/O, no dns-packet) and
// shared by the predictor (analysis) and the probe agent; wire (dns-packet, which the snapshot-only
// path must not load), errors and client (sockets) are for sources and probes.
const DNS_PURE = ['dns/names', 'dns/search', 'dns/types'];

/** Per directory of src/ (and commands/): what its modules may import. '*' = anything. */
export const LAYERS = {
  // The normalized state and what is defined over it: types, invariants, domain errors, Finding and
  // Severity, Compose plans, gate policies. Plain data and pure functions.
  model: { may: ['model', 'net'], packages: [], node: [] },
  // Address math. ip-num is pure; src/net/addr.ts loads it lazily (the one createRequire, allowed
  // there by an inline comment) because it costs 15-60 ms and IPv4-only runs never need it.
  net: { may: ['model', 'net'], packages: ['ip-num'], node: [] },
  // The packet-filter engine (parse, compile, evaluate, lint iptables/nft rulesets), used by analysis.
  firewall: { may: ['model', 'net', 'firewall'], packages: [], node: [] },
  // Pure functions over the model: reach, ports, routes, firewall flows, DNS prediction, doctor, gate.
  analysis: { may: ['model', 'net', 'firewall', 'analysis', ...DNS_PURE], packages: [], node: [] },
  // Renderers of analysis results (table, JSON, SARIF, JUnit, Markdown, DOT/mermaid/SVG). No I/O —
  // commands print — but SARIF needs path/url math and hashes; util finds the docs/ directory.
  report: { may: ['model', 'net', 'firewall', 'analysis', 'report', 'util', ...DNS_PURE], packages: ['string-width', 'wrap-ansi', 'picocolors', '@dagrejs/dagre'], node: ['crypto', 'path', 'url'] },
  // Producers of the model: Engine API, snapshot files, host collectors, Compose files, policies.
  sources: { may: ['model', 'net', 'firewall', 'dns', 'sources', 'util'], packages: '*', node: '*' },
  // The DNS wire client (see DNS_PURE).
  dns: { may: ['dns', 'net'], packages: ['dns-packet'], node: '*' },
  // Live probes inside a container's namespace: they talk to the daemon (sources) and hold the
  // result against the prediction (analysis).
  probe: { may: ['model', 'net', 'firewall', 'dns', 'analysis', 'sources', 'probe', 'util'], packages: '*', node: '*' },
  // Small runtime helpers (the package root).
  util: { may: ['util'], packages: [], node: '*' },
  // CLI plumbing for commands: base class, flags, exit codes. Nothing but commands imports it.
  cli: { may: ['model', 'net', 'firewall', 'dns', 'analysis', 'report', 'sources', 'probe', 'util', 'cli'], packages: '*', node: '*' },
  // oclif command classes: the wiring.
  commands: { may: '*', packages: '*', node: '*' },
};

export default defineConfig(
  {
    ignores: ['dist/', 'dist.next-*/', 'dist.old-*/', 'bench/out/', '.test-dockerd/', 'tmp/', 'oclif.manifest.json'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    languageOptions: { globals: globals.node },
  },
  {
    rules: {
      // `_name` marks a parameter or binding that is there on purpose.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/no-unused-expressions': ['error', { allowShortCircuit: true, allowTernary: true }],
      // Control characters in regular expressions are the point here: names and labels are data
      // from strangers, and sanitize(), the XML writer and the probe parsers strip C0/C1 bytes.
      'no-control-regex': 'off',
      // Test expectations match fixed-width CLI output: literal runs of spaces read better than {2}.
      'no-regex-spaces': 'off',
    },
  },
  {
    files: ['src/**/*.ts', 'commands/**/*.ts'],
    plugins: { netsleuth: layers },
    rules: { 'netsleuth/layers': ['error', { root: ROOT, layers: LAYERS }] },
  },
);
