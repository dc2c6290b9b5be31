import type { DriverDescription } from './description.js';

/**
 * What to do when a path carries less than the bridge MTU, in the driver's terms (its description's `mtu`):
 * the full-size check, the path MTU probe, the MTU event and the Peers pane all say it this way. Pure, and
 * plain enough for the TUI bundle.
 */

/** Bytes the driver's encapsulation adds: on the named data path (weave: fastdp, sleeve), else its usual one. */
export function overheadOf(d: DriverDescription, path?: string): { path: string; bytes: number } {
  return d.mtu.overhead.find((o) => o.path === path) ?? d.mtu.overhead[0] ?? { path: 'none', bytes: 0 };
}

export interface MtuTrouble {
  /** The largest packet that crosses (the path MTU probe's), or null before it is measured. */
  fits: number | null;
  /** The bridge MTU: the size that should cross and does not. Null when unknown. */
  bridgeMtu: number | null;
  /** The data path in use, for a driver with several (weave). */
  path?: string;
  /** The figure is said already (the Peers pane's WHY column: `path MTU 1354: ...`): the command alone. */
  terse?: boolean;
}

/** The fix in one line, a command where the driver has one; '' when there is nothing to advise yet. */
export function mtuAdvice(d: DriverDescription, t: MtuTrouble): string {
  const o = overheadOf(d, t.path);
  // What the underlay on the path would have to carry for the bridge MTU to cross as it is.
  const carry = t.bridgeMtu !== null ? t.bridgeMtu + o.bytes : null;
  switch (d.mtu.fit) {
    case 'launch-mtu': {
      if (t.fits === null)
        return 'set a smaller overlay MTU (the path MTU probe is measuring which): xnet-tui launch --mtu N';
      const raise = carry !== null ? `, or raise the underlay MTU to ${carry}` : '';
      const set = `xnet-tui launch --mtu ${t.fits}${raise}`;
      return t.terse ? set : `set the overlay MTU to ${t.fits}: ${set}`;
    }
    case 'underlay': {
      const how = `${d.name} gives its bridge the underlay MTU less ${o.bytes} (${o.path}) and takes no --mtu`;
      const raise = carry !== null ? `, or raise the MTU on the path to ${carry}` : '';
      if (t.fits === null)
        return `lower the underlay MTU on every host and launch again (the path MTU probe is measuring by how much; ${how})${raise}`;
      return `lower the underlay MTU to ${t.fits + o.bytes} on every host and launch again (${how})${raise}`;
    }
    case 'path': {
      if (o.bytes === 0) {
        // No encapsulation (bridge): containers get the LAN's MTU, so the LAN itself is short somewhere.
        const lower =
          t.fits !== null ? `, or set the NIC's MTU to ${t.fits} on every host and launch again` : '';
        return `the LAN carries less than the bridge MTU${t.bridgeMtu !== null ? ` ${t.bridgeMtu}` : ''}: raise it on the path${lower}`;
      }
      const to = carry !== null ? ` to ${carry}` : '';
      return `raise the MTU on the path${to} (${o.path} adds ${o.bytes}); ${d.name} sets its own MTU and takes no --mtu`;
    }
  }
}
