import { describe, expect, it } from 'vitest';
import { namedNetns, overlayNetnsName } from '../../src/net/overlay.js';

describe('the overlay namespace name', () => {
  it('is one per state directory, stable, and outside every lab prefix', () => {
    const a = overlayNetnsName('/var/lib/xnet');
    expect(a).toMatch(/^xnetov-[0-9a-f]{12}$/);
    expect(overlayNetnsName('/var/lib/xnet/')).toBe(a); // the same directory written another way
    expect(overlayNetnsName('/var/lib/xnet-lab1/h1/xnet')).not.toBe(
      overlayNetnsName('/var/lib/xnet-lab1/h2/xnet'),
    );
    // `lab down` removes every namespace with its lab's prefix (`xnet-`, `xnet1-`, ...): never an overlay's.
    expect(a).not.toMatch(/^xnet\d{0,2}-/);
    expect(namedNetns(a)).toBe(`/run/netns/${a}`);
  });
});
