// Firewall engine: parse netfilter rulesets (iptables-save, ip6tables-save, nft -j), recognise
// Docker's rule layout, evaluate packets the way the kernel does (with the rule-by-rule walk),
// and lint rulesets. Pure: no I/O.

export { parseIptablesSave, describeMatch, BUILTIN_CHAINS } from './parse-iptables.js';
export { parseNftJson, mergeWithIptables, type NftParseOptions } from './nft.js';
export { detectDockerDialect, type DialectInfo } from './dialect.js';
export { compileRuleset, type CompiledRuleset, type CompileOptions } from './compile.js';
export { evaluate, evaluateNaive, evaluateCode, evaluateBatch, packetOfBatch, verdictOfCode, decidedByOfCode } from './evaluate.js';
export { lintRuleset, type LintOptions } from './lint.js';
export { parseIpsetSave, type Ipset } from './ipset.js';
export { FirewallParseError } from './errors.js';
export type * from './types.js';
