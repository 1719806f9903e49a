// `netsleuth reach FROM TO [--port N/proto]`: is a packet from FROM delivered to TO's network stack,
// and does something listen there? One verdict built from a pipeline of stages over one context
// (context.ts), each returning its hops with their evidence:
//
//   source      FROM can send at all (running, not network mode none)              source.ts
//   namespace   FROM and TO share a network namespace (container: mode, host mode,  namespace.ts,
//               loopback; the host to its own addresses)                            host-local.ts
//   driver      non-bridge drivers: macvlan/ipvlan switching and their parent isolation, overlay
//                                                                                   driver.ts
//   route       FROM's routes, then the host's tables (src/analysis/route.ts)      route.ts
//   forwarding  net.ipv4.ip_forward for routed (not bridged) traffic                forwarding.ts
//   firewall    the host's netfilter walk for the NEW packet, with DNAT             firewall.ts
//   proxy       a published port answered by docker-proxy on the host: its own leg proxy.ts
//   return      the reply (firewall-flow's replyFlow): the ESTABLISHED walk, route back  return.ts
//   listener    a socket bound to the (post-DNAT) address and port in TO's namespace listener.ts
//
// Once the packet is on its way (route onwards), every stage is evaluated even after one blocks
// ("fixing one drop often reveals the next"); the first blocking stage on the path is flagged. The
// stages before it settle the verdict where they decide it: a stopped container or a missing
// namespace owner, a shared namespace, a non-bridge driver, a packet that cannot be built.
// `reachable` needs every stage to pass on evidence; a stage that lacks evidence makes the
// verdict `unknown` naming it. Pure: no I/O.

import { type StateInput, asView } from '../../model/view.js';
import { type ReachContext, type StageResult, ReachTrail, reachContext } from './context.js';
import { driverStage } from './driver.js';
import { destinationOf, firewallStage, unbuiltStage } from './firewall.js';
import { forwardingStage } from './forwarding.js';
import { deliveredStage } from './listener.js';
import { namespaceStage } from './namespace.js';
import { packetStage } from './packet.js';
import { proxyStage } from './proxy.js';
import { returnStage } from './return.js';
import { routeStage } from './route.js';
import { noNetworkStage, sourceStage } from './source.js';
import type { ReachOptions, ReachRequest, ReachResult } from './types.js';

export type * from './types.js';
export type { Place } from './place.js';

/** The stages that may settle the verdict before a packet is built, in order. */
const BEFORE_THE_PACKET: ReadonlyArray<(cx: ReachContext) => StageResult> = [sourceStage, namespaceStage, noNetworkStage];

export function analyzeReach(input: StateInput, req: ReachRequest, opts: ReachOptions = {}): ReachResult {
  const cx0 = reachContext(asView(input), req, opts);
  const trail = new ReachTrail();
  for (const stage of BEFORE_THE_PACKET) if (trail.take(stage(cx0))) return trail.result(cx0);

  const { cx, assumptions } = packetStage(cx0);
  trail.take({ hops: [], assumptions });
  if (trail.take(driverStage(cx))) return trail.result(cx);
  if (trail.take(unbuiltStage(cx))) return trail.result(cx);

  // The packet is on its way: every stage from here on is evaluated.
  trail.take(routeStage(cx));
  trail.take(forwardingStage(cx));
  const fw = firewallStage(cx);
  trail.take(fw);
  const proxy = proxyStage(cx, fw.delivery);
  trail.take(proxy);
  trail.take({ hops: [], destination: destinationOf(proxy.delivery) });
  trail.take(returnStage(cx, fw.trace));
  trail.take(deliveredStage(cx, proxy.delivery));
  return trail.result(cx);
}

/** What `--expect` accepts: the path verdicts `reachable`/`blocked` and the four outcomes. */
export { REACH_EXPECTATIONS as EXPECTATIONS, type ReachExpect as Expectation } from '../../model/policy.js';
import type { ReachExpect as Expectation } from '../../model/policy.js';

/**
 * For `--expect`: null when the result meets the expectation, else why not (one line).
 * `reachable` means a connection would succeed: the path is reachable and, when listeners are
 * known, something listens. `blocked` means the path is blocked (a closed port is not "blocked").
 * `open`, `refused`, `unknown` are the outcome (`open` needs a listener seen; ICMP: the path).
 */
export function expectationMet(r: ReachResult, expect: Expectation): string | null {
  const what = `${r.from} → ${r.to}${r.port !== null ? ` ${r.port}/${r.protocol}` : ' (icmp)'}`;
  if (expect === 'reachable') {
    if (r.verdict !== 'reachable') return `expected ${what} to be reachable, but it is ${r.verdict}${r.blocking[0] ? ` (${r.blocking[0].code})` : r.reasons[0] ? ` (${r.reasons[0].code})` : ''}`;
    if (r.listening === false) return `expected ${what} to be reachable: the path is open but nothing listens (${r.reasons.find((x) => x.code.startsWith('LISTENER'))?.code ?? 'LISTENER_NONE'})`;
    return null;
  }
  if (expect === 'blocked') {
    if (r.verdict !== 'blocked') return `expected ${what} to be blocked, but it is ${r.verdict}`;
    return null;
  }
  const want = expect.toUpperCase();
  if (r.outcome === want) return null;
  return `expected ${what} to be ${want}, but it is ${r.outcome}${r.cause ? ` (${r.cause.code})` : ''}`;
}
