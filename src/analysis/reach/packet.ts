// The packet netfilter would see for the request (endpoint choice shared with `firewall trace`),
// with the client port: one representative ephemeral port when no rule tells ephemeral ports
// apart. Not a hop of its own: it turns the context into a FlowContext.

import type { AddressFamily } from '../../model/types.js';
import type { StateView } from '../../model/view.js';
import { ephemeralRepresentative } from '../ephemeral.js';
import { buildFlow, hostRuleset } from '../firewall-flow.js';
import type { FlowContext, ReachContext } from './context.js';

const EPHEMERAL_NOTE = "a firewall rule names ports inside the ephemeral range, so the client's port matters and is not known: rules matching it are undecided";

/** The client port for a connection of `family` on this host, and the assumption it rests on. */
export function clientPort(view: StateView, family: AddressFamily): { port: number | null; assumption: string | null } {
  const rs = hostRuleset(view.host(), family).ruleset;
  if (!rs) return { port: null, assumption: null };
  const eph = view.ephemeralRange(view.host());
  const port = ephemeralRepresentative(rs, eph.range);
  if (port === null) return { port, assumption: EPHEMERAL_NOTE };
  return { port, assumption: `the client port is ephemeral (${eph.range[0]}-${eph.range[1]}${eph.known ? '' : ', the Linux default'}); no firewall rule tells those ports apart, so ${port} stands for all of them` };
}

export function packetStage(cx: ReachContext): { cx: FlowContext; assumptions: string[] } {
  const built = buildFlow(cx.view, { from: cx.from, to: cx.to, port: cx.port, protocol: cx.protocol });
  const family = built.family;
  if (!built.packet || cx.protocol === 'icmp') return { cx: { ...cx, family, built, clientPort: null }, assumptions: [] };
  const client = clientPort(cx.view, family);
  const withClient = { ...built, packet: { ...built.packet, sport: client.port } };
  return { cx: { ...cx, family, built: withClient, clientPort: client.port }, assumptions: client.assumption ? [client.assumption] : [] };
}
