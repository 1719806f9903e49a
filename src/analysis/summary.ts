// What `snapshot show` reports: a compact, stable summary of a snapshot. Pure.

import { type StateView, viewOf } from '../model/view.js';
import type { Host, NetworkMode, PortBinding, Section, Snapshot } from '../model/types.js';

export interface EvidenceStatus {
  section: string;
  status: Section<unknown>['status'];
  reason: string | null;
  source: string;
}

export interface HostSummary {
  id: string;
  name: string;
  dockerVersion: string | null;
  apiVersion: string | null;
  negotiatedApiVersion: string | null;
  os: string | null;
  kernel: string | null;
  ipv4Forwarding: boolean | null;
  evidence: EvidenceStatus[];
}

export interface NetworkSummary {
  id: string;
  name: string;
  driver: string;
  scope: string;
  subnets: string[];
  gateways: string[];
  internal: boolean;
  attachable: boolean;
  ingress: boolean;
  ipv6: boolean;
  bridge: string | null;
  containers: number;
}

export interface ContainerSummary {
  id: string;
  name: string;
  state: string;
  image: string;
  networkMode: string;
  addresses: Array<{ network: string; ipv4: string | null; ipv6: string | null }>;
  published: string[];
  compose: { project: string; service: string } | null;
}

export interface SnapshotSummary {
  capture: Snapshot['capture'];
  hosts: HostSummary[];
  networks: NetworkSummary[];
  containers: ContainerSummary[];
}

export function describeNetworkMode(mode: NetworkMode, view?: StateView): string {
  switch (mode.kind) {
    case 'network':
      return mode.network;
    case 'default':
      return 'default';
    case 'host':
      return 'host';
    case 'none':
      return 'none';
    case 'container': {
      const target = view?.containerRef(mode.container);
      return `container:${target ? target.name : mode.container.slice(0, 12)}`;
    }
  }
}

export function formatBinding(b: PortBinding): string {
  const ip = b.hostIp.includes(':') ? `[${b.hostIp}]` : b.hostIp;
  const hostPort = b.hostPort === null ? '(unassigned)' : b.hostPortEnd ? `${b.hostPort}-${b.hostPortEnd}` : String(b.hostPort);
  return `${ip}:${hostPort}->${b.containerPort}/${b.protocol}`;
}

function hostEvidence(h: Host): EvidenceStatus[] {
  const sections: Array<[string, Section<unknown>]> = [
    ['daemon', h.daemon],
    ['daemon.json', h.daemonConfig],
    ['interfaces', h.interfaces],
    ['routes', h.routes],
    ['policy rules', h.rules],
    ['firewall', h.firewall],
    ['listeners', h.listeners],
    ['sysctls', h.sysctls],
    ['resolv.conf', h.resolvConf],
  ];
  return sections.map(([section, s]) => ({ section, status: s.status, reason: s.reason ?? null, source: s.source }));
}

export function summarizeSnapshot(snapshot: Snapshot): SnapshotSummary {
  const { state } = snapshot;
  const view = viewOf(state);
  const attached = new Map<string, number>();
  for (const c of state.containers) for (const e of c.endpoints) attached.set(e.networkId, (attached.get(e.networkId) ?? 0) + 1);
  return {
    capture: snapshot.capture,
    hosts: state.hosts.map((h) => ({
      id: h.id,
      name: h.name,
      dockerVersion: h.daemon.value?.version ?? null,
      apiVersion: h.daemon.value?.apiVersion ?? null,
      negotiatedApiVersion: h.daemon.value?.negotiatedApiVersion ?? null,
      os: h.daemon.value?.os ?? null,
      kernel: h.daemon.value?.kernelVersion ?? null,
      ipv4Forwarding: h.daemon.value?.ipv4Forwarding ?? null,
      evidence: hostEvidence(h),
    })),
    networks: state.networks.map((n) => ({
      id: n.id,
      name: n.name,
      driver: n.driver,
      scope: n.scope,
      subnets: n.ipam.configs.map((c) => c.subnet).filter((s): s is string => !!s),
      gateways: n.ipam.configs.map((c) => c.gateway).filter((s): s is string => !!s),
      internal: n.internal,
      attachable: n.attachable,
      ingress: n.ingress,
      ipv6: n.enableIPv6,
      bridge: n.bridgeName,
      containers: attached.get(n.id) ?? 0,
    })),
    containers: state.containers.map((c) => ({
      id: c.id,
      name: c.name,
      state: c.state,
      image: c.image,
      networkMode: describeNetworkMode(c.networkMode, view),
      addresses: c.endpoints.map((e) => ({
        network: e.networkName,
        ipv4: e.ipv4 ? `${e.ipv4.address}/${e.ipv4.prefixLength}` : null,
        ipv6: e.ipv6 ? `${e.ipv6.address}/${e.ipv6.prefixLength}` : null,
      })),
      published: (c.running ? c.publishedPorts : c.portBindings).map(formatBinding),
      compose: c.compose ? { project: c.compose.project, service: c.compose.service } : null,
    })),
  };
}
