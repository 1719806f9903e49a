// The namespace stage: FROM and TO in one network namespace. Two containers sharing one (a
// `container:` mode container and its owner, or a loopback TO) talk over lo with no bridge and no
// forwarding; the host (or a host-network container) to one of its own addresses is host-local.

import { type ReachContext, type StageResult, NOTHING, bare, loopbackAddress, seq } from './context.js';
import { hostLocalStage } from './host-local.js';
import { listenerStage } from './listener.js';
import { samePlace } from './place.js';

export function namespaceStage(cx: ReachContext): StageResult {
  const { from, to, fromC, fromPlace, toPlace, port } = cx;
  if (fromPlace.kind === 'host' && toPlace.kind === 'host') return { ...hostLocalStage(cx), done: true };
  if (fromPlace.kind !== 'container' || !samePlace(fromPlace, toPlace)) return NOTHING;
  const owner = fromPlace.owner;
  const dstAddr = to.kind === 'address' ? to.address : loopbackAddress(cx.family);
  const shared: StageResult = {
    hops: [{ stage: 'namespace', where: `container:${bare(owner.name)}`, status: 'pass', detail: `${from.label} and ${to.label} share one network namespace: the packet goes over the loopback interface, no bridge and no forwarding`, evidence: [fromC && fromC !== owner ? `${bare(fromC.name)}: network mode container:${bare(owner.name)}` : 'same namespace'] }],
    assumptions: ['loopback traffic is accepted by the namespace\'s own firewall (rules inside containers are not captured)'],
    destination: { kind: 'container', name: bare(cx.toOwner?.name ?? owner.name), address: dstAddr, port },
    target: { address: dstAddr, port },
  };
  return { ...seq(shared, listenerStage(cx, fromPlace, dstAddr, port)), done: true };
}
