// ESLint plugin with one rule, `netsleuth/layers`: a module may import only what the layer table
// (eslint.config.js) allows its layer — other layers, single modules of a layer, npm packages,
// Node builtins. DESIGN.md "Layers": dependencies point one way, commands → report → analysis →
// model ← sources.
//
// Why a local rule instead of `no-restricted-imports` or eslint-plugin-import-x/boundaries:
// - it resolves each relative specifier against the importing file, so `../dns/x.js` is src/dns
//   from src/analysis/ but src/analysis/dns from src/analysis/doctor/ — a text pattern cannot
//   tell them apart, and one table per directory depth would be needed;
// - it checks every way a module gets loaded: static imports (type-only ones too), re-exports,
//   `import()` (commands and probe load most modules lazily for start-up time), `typeof
//   import()` and `import x = require()`; `no-restricted-imports` sees only the first two;
// - the import-x/boundaries plugins need a resolver plugin to map `.js` specifiers to `.ts`
//   files, and several packages more, for the same check.
// Files outside src/ and commands/ (tests, bench, scripts) are not checked.

import { builtinModules } from 'node:module';
import path from 'node:path';

const BUILTINS = new Set(builtinModules);

/** `src/analysis/doctor/x.ts` → { layer: 'analysis', module: 'analysis/doctor/x' }; commands/ → 'commands'. */
function locate(rel) {
  const parts = rel.split('/');
  const bare = rel.replace(/\.[cm]?[jt]sx?$/, '');
  if (parts[0] === 'commands') return { layer: 'commands', module: bare, label: rel };
  if (parts[0] === 'src' && parts.length >= 3) return { layer: parts[1], module: bare.slice('src/'.length), label: `src/${parts[1]}` };
  return null;
}

const allows = (list, name) => list === '*' || list.includes(name);

/** May a module of `rule` (a table entry) import the module `m` of layer `layer`? */
function mayImport(rule, layer, m) {
  if (rule.may === '*') return true;
  return rule.may.some((entry) => entry === layer || m === entry || m.startsWith(`${entry}/`));
}

const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Enforce the one-way dependencies between layers (DESIGN.md "Layers"); the table is in eslint.config.js.' },
    schema: [
      {
        type: 'object',
        properties: { root: { type: 'string' }, layers: { type: 'object' } },
        required: ['root', 'layers'],
        additionalProperties: false,
      },
    ],
    messages: {
      layer: "{{from}} may not import {{to}} ({{spec}}): layers point one way, commands → report → analysis → model ← sources. {{from}} may import: {{allowed}}. Move the shared type or helper down instead.",
      builtin: "{{from}} may not import the Node builtin '{{spec}}'{{hint}}.",
      package: "{{from}} may not import the package '{{spec}}' (allowed here: {{allowed}}).",
      unknown: '{{from}} is not in the layer table of eslint.config.js: add the directory there, with what it may import.',
    },
  },
  create(context) {
    const { root, layers } = context.options[0];
    const file = context.filename;
    const rel = path.relative(root, file).split(path.sep).join('/');
    const self = locate(rel);
    if (!self) return {};
    const rule = layers[self.layer];
    if (!rule) {
      return {
        Program(node) {
          context.report({ node, messageId: 'unknown', data: { from: self.label } });
        },
      };
    }

    function check(node, spec) {
      if (typeof spec !== 'string') return;
      if (spec.startsWith('.') || spec.startsWith('/')) {
        const target = path.resolve(path.dirname(file), spec);
        const trel = path.relative(root, target).split(path.sep).join('/');
        const t = locate(trel);
        if (t && mayImport(rule, t.layer, t.module)) return;
        const allowed = rule.may.join(', ');
        context.report({ node, messageId: 'layer', data: { from: self.label, to: t ? t.label : trel, spec, allowed } });
        return;
      }
      const builtin = spec.startsWith('node:') ? spec.slice(5) : BUILTINS.has(spec) ? spec : null;
      if (builtin !== null) {
        const base = builtin.split('/')[0];
        if (allows(rule.node, builtin) || allows(rule.node, base)) return;
        const hint = rule.node.length ? ` (allowed here: ${rule.node.join(', ')})` : ': this layer does no I/O and must not depend on the runtime';
        context.report({ node, messageId: 'builtin', data: { from: self.label, spec, hint } });
        return;
      }
      const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (allows(rule.packages, pkg)) return;
      context.report({ node, messageId: 'package', data: { from: self.label, spec, allowed: rule.packages.length ? rule.packages.join(', ') : 'none' } });
    }

    const literal = (n) => (n && n.type === 'Literal' ? n.value : n && n.type === 'TemplateLiteral' && n.expressions.length === 0 ? n.quasis[0].value.cooked : undefined);
    return {
      ImportDeclaration: (n) => check(n.source, n.source.value),
      ExportNamedDeclaration: (n) => n.source && check(n.source, n.source.value),
      ExportAllDeclaration: (n) => check(n.source, n.source.value),
      ImportExpression: (n) => check(n.source, literal(n.source)),
      // `typeof import('x')`: the specifier is `source` in typescript-estree ≥ 8.5x, `argument.literal` before.
      TSImportType: (n) => {
        const s = n.source ?? n.argument?.literal ?? n.argument;
        check(s, literal(s));
      },
      TSExternalModuleReference: (n) => check(n.expression, literal(n.expression)),
    };
  },
};

export default { meta: { name: 'netsleuth-layers' }, rules: { layers: layersRule } };
