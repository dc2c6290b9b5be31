// The catalog of dockerd's network options: one table with each option's kind, flag, daemon.json key and
// default (a new option is one entry here), and the keys and flags dockerd itself knows. How a value of each
// kind is parsed, checked and written is in values.ts: the table changes with dockerd, the parsing with kinds.
import { AddressPool, OptionValue } from '../../api/dockerd-values.js';

/**
 * The dockerd network options xnet-tui shows and edits: their daemon.json key, their command-line flags,
 * the type dockerd 20.10 reads, and dockerd's default. Pure: no files, no processes.
 */

export const OPTION_KEYS = [
  'bridge',
  'bip',
  'fixed-cidr',
  'fixed-cidr-v6',
  'mtu',
  'iptables',
  'ip6tables',
  'icc',
  'ip-forward',
  'ip-masq',
  'userland-proxy',
  'hosts',
  'default-address-pools',
  'live-restore',
] as const;
export type OptionKey = (typeof OPTION_KEYS)[number];

export { AddressPool, OptionValue };

export type OptionKind = 'string' | 'cidr4' | 'cidr6' | 'address-cidr' | 'int' | 'bool' | 'hosts' | 'pools';

export interface OptionSpec {
  key: OptionKey;
  kind: OptionKind;
  /** Long flag name without dashes, and the short one when there is one. */
  flag: string;
  short?: string;
  /** The flag may be repeated and each adds an element. */
  repeated?: boolean;
  /** dockerd 20.10's default, as daemon.json would hold it; undefined: none (dockerd decides). */
  default: OptionValue | undefined;
  /** What the default means, for `show`. */
  defaultText: string;
  description: string;
}

/** dockerd 20.10's built-in pools: 172.17-31.0.0/16 and 192.168.0.0/16 in /20s. */
const BUILTIN_POOLS: AddressPool[] = [
  ...Array.from({ length: 15 }, (_, i) => ({ base: `172.${17 + i}.0.0/16`, size: 16 })),
  { base: '192.168.0.0/16', size: 20 },
];

export const OPTIONS: Record<OptionKey, OptionSpec> = {
  bridge: {
    key: 'bridge',
    kind: 'string',
    flag: 'bridge',
    short: 'b',
    default: undefined,
    defaultText: 'docker0 (created by dockerd)',
    description: 'attach containers to this existing bridge instead of docker0 ("none" disables it)',
  },
  bip: {
    key: 'bip',
    kind: 'address-cidr',
    flag: 'bip',
    default: undefined,
    defaultText: 'picked from the address pools (172.17.0.1/16 when free)',
    description: "docker0's address and prefix; not with bridge",
  },
  'fixed-cidr': {
    key: 'fixed-cidr',
    kind: 'cidr4',
    flag: 'fixed-cidr',
    default: undefined,
    defaultText: "the bridge's whole subnet",
    description: "container addresses come from this part of the bridge's subnet",
  },
  'fixed-cidr-v6': {
    key: 'fixed-cidr-v6',
    kind: 'cidr6',
    flag: 'fixed-cidr-v6',
    default: undefined,
    defaultText: 'none (no IPv6 on the default bridge)',
    description: 'IPv6 subnet for containers on the default bridge',
  },
  mtu: {
    key: 'mtu',
    kind: 'int',
    flag: 'mtu',
    default: 1500,
    defaultText: '1500',
    description: 'MTU of container interfaces on the default bridge',
  },
  iptables: {
    key: 'iptables',
    kind: 'bool',
    flag: 'iptables',
    default: true,
    defaultText: 'true',
    description: 'let dockerd add iptables rules (NAT, isolation, published ports)',
  },
  ip6tables: {
    key: 'ip6tables',
    kind: 'bool',
    flag: 'ip6tables',
    default: false,
    defaultText: 'false',
    description: 'let dockerd add ip6tables rules (experimental in 20.10)',
  },
  icc: {
    key: 'icc',
    kind: 'bool',
    flag: 'icc',
    default: true,
    defaultText: 'true',
    description: 'containers on the default bridge may talk to each other (false needs iptables)',
  },
  'ip-forward': {
    key: 'ip-forward',
    kind: 'bool',
    flag: 'ip-forward',
    default: true,
    defaultText: 'true',
    description: 'dockerd turns on net.ipv4.ip_forward',
  },
  'ip-masq': {
    key: 'ip-masq',
    kind: 'bool',
    flag: 'ip-masq',
    default: true,
    defaultText: 'true',
    description: "masquerade containers' outgoing traffic",
  },
  'userland-proxy': {
    key: 'userland-proxy',
    kind: 'bool',
    flag: 'userland-proxy',
    default: true,
    defaultText: 'true',
    description: 'docker-proxy for published ports (false: iptables hairpin NAT only)',
  },
  hosts: {
    key: 'hosts',
    kind: 'hosts',
    flag: 'host',
    short: 'H',
    repeated: true,
    default: undefined,
    defaultText: 'unix:///var/run/docker.sock',
    description: 'sockets dockerd listens on (unix://, fd://, tcp://)',
  },
  'default-address-pools': {
    key: 'default-address-pools',
    kind: 'pools',
    flag: 'default-address-pool',
    repeated: true,
    default: undefined,
    defaultText: `built in: ${BUILTIN_POOLS[0]!.base}..${BUILTIN_POOLS[14]!.base} in /16s, 192.168.0.0/16 in /20s`,
    description: 'ranges user-defined networks (and docker0 without bip) take subnets from',
  },
  'live-restore': {
    key: 'live-restore',
    kind: 'bool',
    flag: 'live-restore',
    default: false,
    defaultText: 'false',
    description: 'keep containers running while dockerd restarts',
  },
};

export function isOptionKey(key: string): key is OptionKey {
  return (OPTION_KEYS as readonly string[]).includes(key);
}

/** The option a flag (`--bip`, `-b`, `--host`) sets, if it is one of ours. */
export function optionForFlag(name: string): OptionKey | undefined {
  return OPTION_KEYS.find((k) => OPTIONS[k].flag === name || OPTIONS[k].short === name);
}

/** Keys dockerd 20.10 accepts in daemon.json; any other key makes it refuse to start. */
export const DOCKERD_FILE_KEYS = new Set<string>([
  ...OPTION_KEYS,
  'allow-nondistributable-artifacts',
  'api-cors-header',
  'authorization-plugins',
  'bridge-nf-call-ip6tables',
  'bridge-nf-call-iptables',
  'builder',
  'cgroup-parent',
  'cluster-advertise',
  'cluster-store',
  'cluster-store-opts',
  'containerd',
  'containerd-namespace',
  'containerd-plugins-namespace',
  'cpu-rt-period',
  'cpu-rt-runtime',
  'cri-containerd',
  'data-root',
  'debug',
  'default-cgroupns-mode',
  'default-gateway',
  'default-gateway-v6',
  'default-ipc-mode',
  'default-runtime',
  'default-shm-size',
  'default-ulimits',
  'dns',
  'dns-opts',
  'dns-search',
  'exec-opts',
  'exec-root',
  'experimental',
  'features',
  'group',
  'init',
  'init-path',
  'insecure-registries',
  'ip',
  'ipv6',
  'labels',
  'log-driver',
  'log-format',
  'log-level',
  'log-opts',
  'max-concurrent-downloads',
  'max-concurrent-uploads',
  'max-download-attempts',
  'metrics-addr',
  'network-control-plane-mtu',
  'no-new-privileges',
  'node-generic-resources',
  'oom-score-adjust',
  'pidfile',
  'raw-logs',
  'registry-mirrors',
  'rootless',
  'runtimes',
  'seccomp-profile',
  'selinux-enabled',
  'shutdown-timeout',
  'storage-driver',
  'storage-opts',
  'swarm-default-advertise-addr',
  'tls',
  'tlscacert',
  'tlscert',
  'tlskey',
  'tlsverify',
  'userns-remap',
]);

/** Flags of dockerd 20.10 that take no value (so `--flag word` leaves `word` as an argument). */
export const DOCKERD_BOOL_FLAGS = new Set<string>([
  'D',
  'debug',
  'experimental',
  'icc',
  'init',
  'ip-forward',
  'ip-masq',
  'ip6tables',
  'iptables',
  'ipv6',
  'live-restore',
  'no-new-privileges',
  'raw-logs',
  'rootless',
  'selinux-enabled',
  'tls',
  'tlsverify',
  'userland-proxy',
  'bridge-nf-call-iptables',
  'bridge-nf-call-ip6tables',
  'v',
  'version',
  'h',
  'help',
  'validate',
]);
