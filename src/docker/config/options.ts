// One piece (over 300 lines): the catalog of dockerd's network options, one table with each option's
// kind, flag, daemon.json key, parser and formatter; a new option is one entry here.
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { AddressPool, OptionValue } from '../../api/dockerd-values.js';
import { badInput } from '../../errors.js';

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

// ----- values -----

function parseBool(key: string, text: string): boolean {
  if (/^(true|1|yes|on)$/i.test(text)) return true;
  if (/^(false|0|no|off)$/i.test(text)) return false;
  throw badInput(key, `${key}=${text}: "${text}" is not true or false`, `example: ${key}=false`);
}

function checkCidr4(key: string, text: string, hostAddress: boolean): void {
  const example = key === 'bip' ? '172.25.11.1/24' : '172.25.11.0/25';
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text);
  if (!m || !ipaddr.IPv4.isValidFourPartDecimal(m[1]!) || Number(m[2]) > 32) {
    throw badInput(
      key,
      `${key}=${text}: "${text}" is not an IPv4 CIDR`,
      `write ADDRESS/PREFIX, for example ${key}=${example}`,
    );
  }
  const prefix = Number(m[2]);
  if (hostAddress) {
    const network = ipaddr.IPv4.networkAddressFromCIDR(text).toString();
    if (prefix > 30 || ipaddr.IPv4.parse(m[1]!).toString() === network) {
      throw badInput(
        key,
        `${key}=${text}: bip is the bridge's own address, so it must be a host address in a /30 or wider`,
        `for example ${key}=172.25.11.1/24`,
      );
    }
  }
}

function checkCidr6(key: string, text: string): void {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m || !ipaddr.IPv6.isValid(m[1]!) || Number(m[2]) > 128) {
    throw badInput(
      key,
      `${key}=${text}: "${text}" is not an IPv6 CIDR`,
      `for example ${key}=fd00:25:11::/64`,
    );
  }
}

const HOST_RE = /^(unix:\/\/\/?.+|fd:\/\/.*|tcp:\/\/[^/]*|npipe:\/\/.+|ssh:\/\/.+)$/;

function checkPools(key: string, pools: AddressPool[]): void {
  for (const p of pools) {
    checkCidr4(key, p.base, false);
    const prefix = Number(p.base.split('/')[1]);
    if (p.size < prefix || p.size > 30)
      throw badInput(
        key,
        `${key}: size ${p.size} for ${p.base} must be between /${prefix} and /30`,
        `for example ${key}=10.10.0.0/16:24`,
      );
  }
}

/**
 * Checks a value's shape for its option (a malformed CIDR, a bool that is not one, an MTU out of range) and
 * returns it normalised. Throws a bad-input error that names the key.
 */
export function checkValue(key: OptionKey, value: unknown): OptionValue {
  const spec = OPTIONS[key];
  const wrongType = (want: string): never => {
    throw badInput(
      key,
      `${key}: ${JSON.stringify(value)} is not ${want}`,
      `see \`xnet-tui dockerd set --help\``,
    );
  };
  switch (spec.kind) {
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string') return parseBool(key, value);
      return wrongType('true or false');
    case 'int': {
      const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isInteger(n)) return wrongType('a whole number');
      if (n < 68 || n > 65535)
        throw badInput(key, `${key}=${n} is out of range`, 'an MTU is between 68 and 65535; 1500 is usual');
      return n;
    }
    case 'string':
      if (typeof value !== 'string') return wrongType('a name');
      if (!/^[A-Za-z0-9_.:-]{1,15}$/.test(value))
        throw badInput(
          key,
          `${key}=${value}: "${value}" is not an interface name`,
          'an interface name is 1-15 letters, digits, ".", "-", "_", for example bridge=br0',
        );
      return value;
    case 'cidr4':
    case 'address-cidr':
      if (typeof value !== 'string') return wrongType('a CIDR');
      checkCidr4(key, value, spec.kind === 'address-cidr');
      return value;
    case 'cidr6':
      if (typeof value !== 'string') return wrongType('an IPv6 CIDR');
      checkCidr6(key, value);
      return value;
    case 'hosts': {
      const list = Array.isArray(value)
        ? value
        : typeof value === 'string'
          ? splitList(value)
          : wrongType('a list');
      if (list.length === 0)
        throw badInput(key, `${key} is empty`, 'unset it instead to use the default socket');
      for (const h of list)
        if (typeof h !== 'string' || !HOST_RE.test(h))
          throw badInput(
            key,
            `${key}: "${String(h)}" is not a socket address`,
            'write unix:///var/run/docker.sock, fd://, or tcp://ADDRESS:2376',
          );
      return list as string[];
    }
    case 'pools': {
      const pools = Array.isArray(value)
        ? value
        : typeof value === 'string'
          ? parsePools(key, value)
          : wrongType('a list');
      const parsed = z.array(AddressPool).safeParse(pools);
      if (!parsed.success || parsed.data.length === 0)
        throw badInput(
          key,
          `${key}: ${JSON.stringify(value)} is not a list of pools`,
          `for example ${key}=10.10.0.0/16:24`,
        );
      checkPools(key, parsed.data);
      return parsed.data;
    }
  }
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `10.10.0.0/16:24,10.20.0.0/16:24`, or the flag's `base=10.10.0.0/16,size=24`, or JSON. */
function parsePools(key: string, text: string): AddressPool[] {
  const t = text.trim();
  if (t.startsWith('[')) {
    try {
      return JSON.parse(t) as AddressPool[];
    } catch {
      throw badInput(key, `${key}: not JSON`, `for example ${key}=10.10.0.0/16:24`);
    }
  }
  if (t.includes('base=')) return [parsePoolFlag(key, t)];
  return splitList(t).map((item) => {
    const [base, size] = item.split(':');
    if (!base || !size || !/^\d+$/.test(size))
      throw badInput(key, `${key}: "${item}" is not BASE/PREFIX:SIZE`, `for example ${key}=10.10.0.0/16:24`);
    return { base, size: Number(size) };
  });
}

/** The flag form, `base=10.10.0.0/16,size=24`. */
export function parsePoolFlag(key: string, text: string): AddressPool {
  const fields = Object.fromEntries(text.split(',').map((kv) => kv.split('=') as [string, string]));
  if (!fields.base || !fields.size || !/^\d+$/.test(fields.size))
    throw badInput(key, `${key}: "${text}" is not base=CIDR,size=N`, 'for example base=10.10.0.0/16,size=24');
  return { base: fields.base, size: Number(fields.size) };
}

/** A value as an operator reads it. */
export function formatValue(value: OptionValue | undefined): string {
  if (value === undefined) return '';
  if (Array.isArray(value))
    return value.map((v) => (typeof v === 'string' ? v : `${v.base}:${v.size}`)).join(',');
  return String(value);
}

/** The flag arguments that set `value` (`--bip=172.25.11.1/24`, `--host=fd://`...). */
export function flagArgs(key: OptionKey, value: OptionValue): string[] {
  const spec = OPTIONS[key];
  if (Array.isArray(value))
    return value.map((v) => `--${spec.flag}=${typeof v === 'string' ? v : `base=${v.base},size=${v.size}`}`);
  return [`--${spec.flag}=${String(value)}`];
}

export function sameValue(a: OptionValue | undefined, b: OptionValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
