import { describe, expect, it } from 'vitest';
import { describeDriver, describeDrivers } from '../../src/router/descriptions.js';
import { mtuAdvice, overheadOf } from '../../src/router/mtu-advice.js';
import { VXLAN_OVERHEAD } from '../../src/router/vxlan/device.js';
import { GRE_OVERHEAD } from '../../src/router/ovs-gre/layout.js';
import { fullSizeWhy } from '../../src/telemetry/peer-verdict.js';
import { verdict } from '../../src/telemetry/pmtu.js';
import { peerWhy } from '../../src/ui/compute/why.js';
import { checkMtu } from '../../src/agent/mtu.js';
import type { PeerStatus } from '../../src/router/driver.js';

const d = describeDriver;

describe("MTU advice: each driver's own", () => {
  it('every driver says its overhead; the numbers match what its data path uses', () => {
    for (const x of describeDrivers()) expect(x.mtu.overhead.length, x.name).toBeGreaterThan(0);
    expect(overheadOf(d('vxlan'))).toEqual({ path: 'VXLAN', bytes: VXLAN_OVERHEAD });
    expect(overheadOf(d('ovs-gre'))).toEqual({ path: 'GRE', bytes: GRE_OVERHEAD });
    expect(overheadOf(d('bridge')).bytes).toBe(0);
    expect(overheadOf(d('weave')).bytes).toBe(50);
    expect(overheadOf(d('weave'), 'sleeve').bytes).toBe(124);
  });

  it('vxlan: launch --mtu with the measured figure, or raise the underlay by its 50 bytes', () => {
    expect(mtuAdvice(d('vxlan'), { fits: 1354, bridgeMtu: 1450 })).toBe(
      'set the overlay MTU to 1354: xnet-tui launch --mtu 1354, or raise the underlay MTU to 1500',
    );
    expect(mtuAdvice(d('vxlan'), { fits: 1354, bridgeMtu: 1400 })).toMatch(/raise the underlay MTU to 1450$/);
    expect(mtuAdvice(d('vxlan'), { fits: null, bridgeMtu: null })).toBe(
      'set a smaller overlay MTU (the path MTU probe is measuring which): xnet-tui launch --mtu N',
    );
  });

  it('ovs-gre: no --mtu; the underlay MTU to lower by its 38 bytes of GRE', () => {
    const a = mtuAdvice(d('ovs-gre'), { fits: 1354, bridgeMtu: 1462 });
    expect(a).toBe(
      'lower the underlay MTU to 1392 on every host and launch again (ovs-gre gives its bridge the underlay MTU less 38 (GRE) and takes no --mtu), or raise the MTU on the path to 1500',
    );
    expect(mtuAdvice(d('ovs-gre'), { fits: null, bridgeMtu: null })).not.toMatch(/--mtu \d|\bN\b/);
  });

  it("weave: no --mtu; raise the path by fastdp's or sleeve's overhead", () => {
    expect(mtuAdvice(d('weave'), { fits: 1300, bridgeMtu: 1376 })).toBe(
      'raise the MTU on the path to 1426 (fastdp adds 50); weave sets its own MTU and takes no --mtu',
    );
    expect(mtuAdvice(d('weave'), { fits: 1300, bridgeMtu: 1376, path: 'sleeve' })).toBe(
      'raise the MTU on the path to 1500 (sleeve adds 124); weave sets its own MTU and takes no --mtu',
    );
  });

  it('bridge: no encapsulation, so no overhead to add: the LAN itself is short', () => {
    const a = mtuAdvice(d('bridge'), { fits: 1400, bridgeMtu: 1500 });
    expect(a).toBe(
      "the LAN carries less than the bridge MTU 1500: raise it on the path, or set the NIC's MTU to 1400 on every host and launch again",
    );
    expect(a).not.toMatch(/--mtu|\+ ?50|1550/);
  });

  it("the full-size check, the path MTU probe and the Peers pane all give the driver's advice", () => {
    expect(fullSizeWhy(1462, 1354, d('ovs-gre'))).toMatch(
      /^1462-byte packets do not cross; lower the underlay MTU to 1392 /,
    );
    expect(fullSizeWhy(1500, null, d('bridge'))).not.toMatch(/--mtu/);
    const who = { peer: '198.18.0.2', nickname: 'two', probeAddress: '172.25.1.1' };
    expect(verdict(who, 1462, 1354, 'now', d('ovs-gre')).detail).toBe(
      'packets over 1354 bytes do not reach two (198.18.0.2), but the bridge MTU is 1462: lower the underlay MTU to 1392 on every host and launch again (ovs-gre gives its bridge the underlay MTU less 38 (GRE) and takes no --mtu), or raise the MTU on the path to 1500',
    );
    const peer = { address: '198.18.0.2', self: false, dataPlane: { detail: null } } as unknown as PeerStatus;
    const pmtu = [
      {
        ...who,
        pathMtu: 1354,
        state: 'mismatch' as const,
        suggestedMtu: 1354,
        detail: null,
        checkedAt: 'now',
      },
    ];
    expect(peerWhy(peer, pmtu, { driver: 'vxlan', bridge: { name: 'xnet', mtu: 1450 } })).toBe(
      'path MTU 1354: xnet-tui launch --mtu 1354, or raise the underlay MTU to 1500',
    );
    expect(peerWhy(peer, pmtu, { driver: 'weave', bridge: { name: 'weave', mtu: 1376 } })).toBe(
      'path MTU 1354: raise the MTU on the path to 1426 (fastdp adds 50); weave sets its own MTU and takes no --mtu',
    );
  });

  it("launch --mtu's upper bound is the underlay less the driver's overhead", () => {
    const eth0 = { dev: 'eth0', mtu: 1500 } as Parameters<typeof checkMtu>[2];
    expect(checkMtu('vxlan', 1450, eth0)).toBe(1450);
    expect(() => checkMtu('vxlan', 1451, eth0)).toThrow(/inside VXLAN: at most 1450/);
  });
});
