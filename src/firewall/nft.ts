// Native nftables JSON (`nft -j list ruleset`, Docker 29's nftables backend): NOT IMPLEMENTED YET.
// The engine's data model (Chain.hook / priority / type, Ruleset.format 'nft-json') and the walk
// (base chains ordered by priority per hook, nat chains only for NEW packets) are ready for it;
// the translation of nft expressions into Match/Target is the missing piece.

import { InputError } from '../cli/errors.js';
import type { Ruleset } from './types.js';

export function parseNftJson(text: string): Ruleset {
  void text;
  throw new InputError('nftables JSON rulesets (nft -j list ruleset) are not supported yet', 'use the iptables-save output of the host instead');
}
