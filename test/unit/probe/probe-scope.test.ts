import { describe, expect, it } from 'vitest';
import { addressOwner, describeOwner, probeScopeRefusal } from '../../../src/analysis/probe-scope.js';
import { container, host, network, snapshot } from '../../support/build-snapshot.js';

const front = network('front', '10.214.140.0/24');
const back = network('back', '10.214.141.0/24', {
  ipam: { driver: 'default', configs: [{ subnet: '10.214.141.0/24', ipRange: null, gateway: '10.214.141.254', auxAddresses: {} }, { subnet: 'fd21:ee75:141::/64', ipRange: null, gateway: 'fd21:ee75:141::1', auxAddresses: {} }], options: {} },
});
const web = container('web', front, '10.214.140.2');
const db = container('db', back, '10.214.141.5', {
  endpoints: [{ ...container('db', back, '10.214.141.5').endpoints[0]!, ipv6: { family: 'ipv6', address: 'fd21:ee75:141::5', prefixLength: 64 } }],
});
const h = host({
  interfaces: {
    status: 'ok',
    source: 'test',
    value: [{ name: 'eth0', index: 2, kind: 'device', mtu: 1500, operState: 'UP', flags: [], mac: null, master: null, peerIndex: null, linkNetnsId: null, addresses: [{ family: 'ipv4', address: '192.168.50.10', prefixLength: 24 }] }],
  },
});
const state = snapshot({ hosts: [h], networks: [front, back], containers: [web, db] }).state;

describe('addressOwner', () => {
  it('names a container endpoint, in either family and spelling', () => {
    expect(addressOwner(state, '10.214.140.2')).toMatchObject({ kind: 'container', container: 'web', network: 'front' });
    expect(addressOwner(state, 'fd21:ee75:141:0::5')).toMatchObject({ kind: 'container', container: 'db', address: 'fd21:ee75:141::5' });
  });
  it('a gateway before its subnet; any other subnet address is the network', () => {
    expect(addressOwner(state, '10.214.141.254')).toMatchObject({ kind: 'gateway', network: 'back' });
    expect(addressOwner(state, '10.214.141.77')).toMatchObject({ kind: 'subnet', network: 'back', subnet: '10.214.141.0/24' });
  });
  it('host interfaces and loopback', () => {
    expect(addressOwner(state, '192.168.50.10')).toMatchObject({ kind: 'host', interface: 'eth0', host: 'host1' });
    expect(addressOwner(state, '127.0.0.1')).toMatchObject({ kind: 'loopback' });
    expect(addressOwner(state, '::1')).toMatchObject({ kind: 'loopback' });
  });
  it('null for addresses nothing in the model owns, and for non-addresses', () => {
    expect(addressOwner(state, '8.8.8.8')).toBeNull();
    expect(addressOwner(state, '192.168.50.11')).toBeNull();
    expect(addressOwner(state, '10.214.142.1')).toBeNull();
    expect(addressOwner(state, 'web')).toBeNull();
    expect(addressOwner(state, '010.214.140.2')).toBeNull();
  });
  it('describes each owner in one line', () => {
    for (const ip of ['10.214.140.2', '10.214.141.254', '10.214.141.77', '192.168.50.10', '127.0.0.1']) {
      expect(describeOwner(addressOwner(state, ip)!)).toMatch(new RegExp(`^${ip.replace(/\./g, '\\.')} is `));
    }
  });
});

describe('probeScopeRefusal', () => {
  it('refuses unowned addresses unless allowExternal, with a one-line reason', () => {
    const why = probeScopeRefusal(state, '8.8.8.8');
    expect(why).toMatch(/8\.8\.8\.8 belongs to no container.*--allow-external/);
    expect(why).not.toMatch(/\n/);
    expect(probeScopeRefusal(state, '8.8.8.8', true)).toBeNull();
    expect(probeScopeRefusal(state, '10.214.140.2')).toBeNull();
  });
  it('never allows a non-address, even with allowExternal', () => {
    expect(probeScopeRefusal(state, 'example.com', true)).toMatch(/not an IP address/);
  });
});
