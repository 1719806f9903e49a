// The source stage: FROM can send at all, and TO can receive — their namespace owners are in
// the state and running, and (checked after the shared-namespace stage, where loopback still
// works) neither runs with network mode none.

import type { ReachHop } from './types.js';
import { type ReachContext, type StageResult, NOTHING, bare } from './context.js';

export function sourceStage(cx: ReachContext): StageResult {
  const { fromC, toC, fromOwner, toOwner } = cx;
  for (const c of [fromC && !fromOwner ? fromC : null, toC && !toOwner ? toC : null]) {
    if (!c) continue;
    return { done: true, hops: [{ stage: 'source', where: `container:${bare(c.name)}`, status: 'unknown', code: 'NETNS_OWNER_MISSING', detail: `${bare(c.name)} shares the network namespace of a container that is not in the state`, evidence: [] }] };
  }
  const hops: ReachHop[] = [];
  for (const [c, owner, role] of [[fromC, fromOwner, 'source'], [toC, toOwner, 'destination']] as const) {
    if (!c || !owner || owner.running) continue;
    hops.push({ stage: 'source', where: `container:${bare(c.name)}`, status: 'block', code: role === 'source' ? 'REACH_SOURCE_NOT_RUNNING' : 'REACH_DEST_NOT_RUNNING', detail: `${role} ${bare(c.name)}${owner !== c ? ` (namespace of ${bare(owner.name)})` : ''} is ${owner.state}: a stopped container has no network namespace`, evidence: [`state: ${owner.state}`] });
  }
  return hops.length > 0 ? { hops, done: true } : NOTHING;
}

/** Network mode none: only a loopback interface, so nothing beyond the namespace is reachable. */
export function noNetworkStage(cx: ReachContext): StageResult {
  const { fromOwner, toOwner } = cx;
  if (fromOwner?.networkMode.kind !== 'none' && toOwner?.networkMode.kind !== 'none') return NOTHING;
  const who = fromOwner?.networkMode.kind === 'none' ? fromOwner : toOwner!;
  return { done: true, hops: [{ stage: 'source', where: `container:${bare(who.name)}`, status: 'block', code: 'REACH_NO_NETWORK', detail: `${bare(who.name)} has network mode none: it has only a loopback interface`, evidence: ['network mode none'] }] };
}
