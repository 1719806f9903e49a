// NAT in the walk: DNAT / SNAT / MASQUERADE / REDIRECT targets applied to the packet state, the
// NatStep each one records, the route lookup after a destination change (DNAT can turn an INPUT
// packet into a FORWARD one), and the conntrack rule that only a connection's first packet
// traverses nat chains (a later or NAT-bound packet keeps the addresses it has). Used by the
// explaining walk (walk.ts) and, for mutateNat / reroute, by the fast path (fast.ts).

import { formatAddr, parseAddr } from './addr.js';
import { key6, NO_PORT, UNKNOWN_PORT, type EvalCtx, type PState } from './match.js';
import type { EvaluateOptions, Hook, NatStep, NatTo, PacketView, Reason, Rule, TraceStep, Words } from './types.js';

/** The NAT targets of the engine's compiled rules (walk.ts CTarget). */
export type NatTarget =
  | { kind: 'dnat'; to: NatTo | null }
  | { kind: 'snat'; to: NatTo | null }
  | { kind: 'masquerade'; ports: [number, number] | null }
  | { kind: 'redirect'; ports: [number, number] | null };

/** What NAT writes on one walk branch (walk.ts Leaf): its NAT steps, notes, and explained steps. */
export interface NatLog {
  natSteps: NatStep[];
  notes: Reason[];
  steps: TraceStep[];
}

/**
 * Whether a nat chain is skipped: only a connection's first packet (NEW, NAT not yet bound)
 * traverses nat chains. When skipped, notes FW_NAT_NOT_TRAVERSED once (if the chain has rules).
 */
export function natSkipped(p: PState, chainRules: number, notes: Reason[]): boolean {
  if (p.ct === 'NEW' && !p.natBound) return false;
  if (chainRules > 0 && !notes.some((n) => n.code === 'FW_NAT_NOT_TRAVERSED')) {
    notes.push({
      code: 'FW_NAT_NOT_TRAVERSED',
      message: p.natBound
        ? 'the connection\'s NAT was bound when it was first seen (OUTPUT, for a packet looping back over lo): nat chains are not consulted again'
        : `the packet is ${p.ct}: nat chains are only traversed by the first packet of a connection; any NAT comes from the existing conntrack entry (not modelled), so addresses are taken as given`,
    });
  }
  return true;
}

/** A packet's addresses and ports as reported (NatStep before/after, EvaluationResult.finalPacket). */
export function packetView(p: PState): PacketView {
  return {
    src: p.src ? formatAddr(p.src, p.family) : null,
    dst: p.dst ? formatAddr(p.dst, p.family) : null,
    sport: p.sport < 0 ? null : p.sport,
    dport: p.dport < 0 ? null : p.dport,
  };
}

function natAddr(to: NatTo): Words | null {
  if (!to.addrFrom || !to.addrTo) return null;
  for (let i = 0; i < to.addrFrom.length; i++) if (to.addrFrom[i] !== to.addrTo[i]) return null;
  return to.addrFrom.slice();
}

export function portsOf(range: [number, number] | null | undefined, cur: number): number {
  if (!range || cur === NO_PORT) return cur;
  if (range[0] === range[1]) return range[0];
  if (cur >= range[0] && cur <= range[1]) return cur;
  return UNKNOWN_PORT;
}

/** Applies a NAT target on a walk branch: the packet change, a NatStep, and (explain) the step's packet. */
export function applyNat(p: PState, t: NatTarget, rule: Rule, hook: Hook, chain: string, leaf: NatLog, cx: EvalCtx, explain: boolean): void {
  const before = packetView(p);
  const note = mutateNat(p, t, hook, cx);
  const kind: NatStep['kind'] = t.kind === 'dnat' ? 'DNAT' : t.kind === 'snat' ? 'SNAT' : t.kind === 'masquerade' ? 'MASQUERADE' : 'REDIRECT';
  const after = packetView(p);
  const step: NatStep = { hook, table: 'nat', chain, index: rule.index, rule: rule.text, kind, before, after };
  if (note) step.note = note;
  leaf.natSteps.push(step);
  if (explain) {
    const last = leaf.steps[leaf.steps.length - 1];
    if (last && last.index === rule.index && last.chain === chain) last.packet = after;
  }
}

/** The packet-state change of a NAT target (shared by the walk and the fast path); returns a note. */
export function mutateNat(p: PState, t: NatTarget, hook: Hook, cx: EvalCtx): string | undefined {
  let note: string | undefined;
  switch (t.kind) {
    case 'dnat': {
      if (t.to) {
        if (t.to.addrFrom) {
          p.dst = natAddr(t.to);
          if (!p.dst) note = `DNAT to an address range (${t.to.text}): the chosen address is not known`;
        }
        p.dport = portsOf(t.to.ports, p.dport);
      }
      p.dnat = true;
      p.dstChanged = true;
      break;
    }
    case 'snat': {
      if (t.to) {
        if (t.to.addrFrom) {
          p.src = natAddr(t.to);
          if (!p.src) note = `SNAT to an address range (${t.to.text}): the chosen address is not known`;
        }
        p.sport = portsOf(t.to.ports, p.sport);
      }
      p.snat = true;
      p.srcChanged = true;
      break;
    }
    case 'masquerade': {
      const out = p.oif;
      const a = out && cx.ifaceAddress ? cx.ifaceAddress(out) : null;
      const w = a ? parseAddr(a, p.family) : null;
      p.src = w;
      if (!w) note = `masqueraded to the address of ${out === null ? 'the (unknown) outgoing interface' : out}`;
      p.sport = portsOf(t.ports, p.sport);
      p.snat = true;
      p.srcChanged = true;
      break;
    }
    case 'redirect': {
      let w: Words | null = null;
      if (hook === 'OUTPUT') w = parseAddr(p.family === 'ipv4' ? '127.0.0.1' : '::1', p.family);
      else {
        const a = p.iif && cx.ifaceAddress ? cx.ifaceAddress(p.iif) : null;
        w = a ? parseAddr(a, p.family) : null;
        if (!w) note = `redirected to the address of ${p.iif ?? 'the incoming interface'}`;
      }
      p.dst = w;
      p.dport = portsOf(t.ports, p.dport);
      p.dnat = true;
      p.dstChanged = true;
      p.path = hook === 'OUTPUT' ? 'output' : 'input';
      if (hook !== 'OUTPUT') p.routedOif = '';
      break;
    }
  }
  return note;
}

/** The route lookup after DNAT/REDIRECT changed the destination (PREROUTING, OUTPUT); leaf null on the fast path. */
export function reroute(p: PState, hook: Hook, cx: EvalCtx, opts: EvaluateOptions, leaf: NatLog | null): void {
  const setOut = (v: string | null) => {
    if (hook === 'PREROUTING') p.routedOif = v;
    else p.oif = v;
  };
  if (leaf?.natSteps.at(-1)?.kind === 'REDIRECT') {
    setOut('');
    return;
  }
  if (p.dst === null) {
    leaf?.notes.push({ code: 'FW_ROUTE_UNKNOWN', message: 'the destination after DNAT is not known, so the route (and out interface) is not known' });
    if (hook === 'PREROUTING' && p.path === 'input') p.path = 'forward';
    setOut(null);
    return;
  }
  // Formatted only when needed: the fast path calls this for every DNATed packet.
  const dst = p.dst;
  const dstText = (): string => formatAddr(dst, p.family);
  if (opts.route) {
    const r = opts.route(dstText(), p.family);
    if (r) {
      if (hook === 'PREROUTING') p.path = r.local ? 'input' : 'forward';
      setOut(r.local && hook === 'PREROUTING' ? '' : r.outIface);
      return;
    }
  }
  const local = cx.family === 'ipv4' ? (cx.local4 ? cx.local4.has(p.dst[0]!) || p.dst[0]! >>> 24 === 127 : null) : cx.local6 ? cx.local6.has(key6(p.dst)) : null;
  if (hook === 'PREROUTING') {
    if (local === true) {
      if (p.path !== 'input') leaf?.notes.push({ code: 'FW_ROUTE_CHANGED', message: `DNAT to ${dstText()}, a host-local address: the packet is delivered locally (INPUT)` });
      p.path = 'input';
      setOut('');
      return;
    }
    if (p.path === 'input' && local === false) {
      p.path = 'forward';
      setOut(p.givenOut);
      leaf?.notes.push({
        code: 'FW_ROUTE_CHANGED',
        message: `DNAT to ${dstText()}: the packet is now forwarded; out interface ${p.givenOut === null ? 'unknown without a route lookup' : `${p.givenOut} (as given)`}`,
      });
      return;
    }
  }
  const out = hook === 'PREROUTING' ? p.routedOif : p.oif;
  leaf?.notes.push({
    code: 'FW_ROUTE_ASSUMED',
    message: `after DNAT to ${dstText()} the packet's path (${p.path}) and out interface (${out === null ? 'unknown' : out || 'none'}) are taken as given`,
  });
}

/** The reason a NAT step adds to a result (NAT_DNAT_APPLIED, NAT_MASQUERADE_APPLIED). */
export function natStepReason(s: NatStep): Reason {
  return {
    code: s.kind === 'DNAT' || s.kind === 'REDIRECT' ? 'NAT_DNAT_APPLIED' : 'NAT_MASQUERADE_APPLIED',
    message: `${s.kind} by rule ${s.index} in nat/${s.chain}: ${fmtView(s.before)} → ${fmtView(s.after)}${s.note ? ` (${s.note})` : ''}`,
  };
}

function fmtView(v: PacketView): string {
  const hp = (a: string | null, port: number | null) => `${a ?? '?'}${port !== null ? `:${port}` : ''}`;
  return `${hp(v.src, v.sport)} → ${hp(v.dst, v.dport)}`;
}
