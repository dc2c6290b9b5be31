import { z } from 'zod';

/** What `status` shows of an ovs-gre host: the switch, each tunnel with its counters, and the routes. */

export const GrePortStatus = z.object({
  /** The OVS port (and interface) name, `gre-` and the remote address in hex. */
  name: z.string(),
  /** options:remote_ip, the peer's underlay address. */
  remote: z.string(),
  /** The peer's nickname and container subnet, from its Serf tags; null for a peer gossip no longer knows. */
  peer: z.string().nullable(),
  subnet: z.string().nullable(),
  /** OVS's link_state (a tunnel is "up" as soon as it has a route). */
  linkState: z.string().nullable(),
  /** BFD over the tunnel (bfd_status:state): "up" only when packets cross both ways. */
  bfd: z.string().nullable(),
  rxPackets: z.number(),
  txPackets: z.number(),
  rxBytes: z.number(),
  txBytes: z.number(),
  /** The Interface's error column (a bad option, an unsupported type). */
  error: z.string().nullable(),
});
export type GrePortStatus = z.infer<typeof GrePortStatus>;

export const OvsRoute = z.object({
  dst: z.string(),
  via: z.string().nullable(),
  dev: z.string(),
  /** The host that holds the subnet. */
  peer: z.string().nullable(),
});
export type OvsRoute = z.infer<typeof OvsRoute>;

export const OvsStatus = z.object({
  /** netdev: Open vSwitch's userspace datapath (no kernel module); system: the kernel's. */
  datapath: z.enum(['netdev', 'system']),
  /** private: an ovsdb-server and ovs-vswitchd the agent runs in its state dir; system: the host's service. */
  daemons: z.enum(['private', 'system']),
  bridge: z.object({ name: z.string(), present: z.boolean(), mtu: z.number().nullable() }),
  /** docker's bridge the OVS bridge is plugged into, and whether it is. */
  dockerBridge: z.object({ name: z.string(), plugged: z.boolean(), address: z.string().nullable() }),
  /** netdev only: the OVS bridge that holds the underlay address (userspace tunnels leave through it). */
  underlayBridge: z.string().nullable(),
  subnet: z.string().nullable(),
  ports: z.array(GrePortStatus),
  routes: z.array(OvsRoute),
  /** netdev only: OVS's own tunnel routing table (ovs-appctl ovs/route/show), the lines for the underlay. */
  tunnelRoutes: z.array(z.string()),
});
export type OvsStatus = z.infer<typeof OvsStatus>;
