import { z } from 'zod';

/**
 * The part of Weave 2.8's `GET /report` (Accept: application/json) that we read: prog/weaver's WeaveStatus,
 * whose Router is mesh.Status plus weave's additions. Go marshals nil slices as null, hence the nullables.
 * Every object passes unknown fields through: a newer Weave adding fields must not break us.
 */
const list = <T extends z.ZodTypeAny>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((v) => v ?? []);

/** mesh.connectionStatus: one edge of the topology as some peer reports it. */
export const PeerConnection = z
  .object({
    Name: z.string(),
    NickName: z.string(),
    Address: z.string(),
    Outbound: z.boolean(),
    Established: z.boolean(),
  })
  .passthrough();

/** mesh.PeerStatus: a peer this router knows from gossip (itself included). */
export const WeavePeer = z
  .object({
    Name: z.string(),
    NickName: z.string(),
    Connections: list(PeerConnection),
  })
  .passthrough();
export type WeavePeer = z.infer<typeof WeavePeer>;

/**
 * mesh.LocalConnectionStatus: this router's own connections and connection targets.
 * State is established | pending | retrying | failed | connecting (and "waiting", which Weave says should not
 * happen). Info is "[encrypted|unencrypted] fastdp|sleeve NAME(NICK)" for a connection, the last error (and
 * ", retry: TIME") for a target. Attrs is the chosen overlay's: {"name": "fastdp", "mtu": 1376}.
 */
export const WeaveConnection = z
  .object({
    Address: z.string(),
    Outbound: z.boolean(),
    State: z.string(),
    Info: z
      .string()
      .nullish()
      .transform((v) => v ?? ''),
    Attrs: z
      .object({ name: z.string().optional(), mtu: z.number().optional() })
      .passthrough()
      .nullish()
      .transform((v) => v ?? {}),
  })
  .passthrough();
export type WeaveConnection = z.infer<typeof WeaveConnection>;

export const WeaveRouter = z
  .object({
    Name: z.string(),
    NickName: z.string(),
    Encryption: z.boolean(),
    Port: z.number().optional(),
    Peers: list(WeavePeer),
    Connections: list(WeaveConnection),
    Targets: list(z.string()),
    TrustedSubnets: list(z.string()),
    /** One key per overlay the router runs ("fastdp", "sleeve"): no "fastdp" key means no fast datapath here. */
    OverlayDiagnostics: z.record(z.string(), z.unknown()).nullish(),
  })
  .passthrough();
export type WeaveRouter = z.infer<typeof WeaveRouter>;

/** ipam.EntryStatus: one run of the ring, owned by a peer. */
export const IpamEntry = z
  .object({
    Peer: z.string(),
    Nickname: z.string(),
    Size: z.number(),
    IsKnownPeer: z.boolean(),
  })
  .passthrough();

export const WeaveIpam = z
  .object({
    Range: z.string(),
    DefaultSubnet: z.string(),
    RangeNumIPs: z.number(),
    ActiveIPs: z.number(),
    Entries: list(IpamEntry),
    PendingAllocates: list(z.unknown()),
    PendingClaims: list(z.unknown()),
    Paxos: z
      .object({ Elector: z.boolean().optional(), Quorum: z.number(), KnownNodes: z.number() })
      .passthrough()
      .nullish(),
  })
  .passthrough();
export type WeaveIpam = z.infer<typeof WeaveIpam>;

export const WeaveReport = z
  .object({
    Ready: z.boolean().optional(),
    Version: z.string().optional(),
    Router: WeaveRouter,
    IPAM: WeaveIpam.nullish(),
  })
  .passthrough();
export type WeaveReport = z.infer<typeof WeaveReport>;
