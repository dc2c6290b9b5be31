import ipaddr from 'ipaddr.js';
import { cidrsOverlap } from '../../net/cidr.js';
import { DOCKERD_FILE_KEYS, OPTION_KEYS, OPTIONS, type OptionKey, type OptionValue } from './options.js';
import { checkValue, formatValue } from './values.js';
import type { ParsedFlags } from './sources.js';

/**
 * dockerd's own rules, and the ones it only discovers at start-up, checked before anything is written. Pure:
 * the host's links, routes and overlay ranges come in as facts.
 */

export type Severity = 'error' | 'warning' | 'confirm';

export interface Finding {
  severity: Severity;
  /** A short name for the rule, stable for tests and the UI. */
  rule: string;
  key: string;
  message: string;
  hint: string | null;
}

export interface HostFacts {
  /** Interfaces in the host's namespace and their IPv4 addresses (`172.25.11.1/24`). */
  links: Record<string, string[]>;
  /** IPv4 routes of the main table: destination and device. */
  routes: Array<{ dst: string; dev?: string }>;
  /** Ranges the overlay uses (xnet bridge addresses, attachment subnets), and what uses them. */
  overlay: Array<{ cidr: string; what: string }>;
  /** The Docker host URL the agent itself talks to dockerd on (`unix:///run/docker.sock`), when known. */
  agentDockerHost?: string;
}

export interface Candidate {
  /** daemon.json as it would be (all keys, ours and others). */
  fileRaw: Record<string, unknown>;
  filePath: string;
  /** Whether the file as it would be is standard JSON. */
  fileNonStandard: string | null;
  flags: ParsedFlags;
  /** Where the flags are (the unit or drop-in). */
  flagsFile: string | null;
  /** The whole command line, for flags outside our catalog (--tlsverify, --experimental). */
  argv: string[];
}

function value(c: Candidate, key: OptionKey): OptionValue | undefined {
  if (key in c.fileRaw) {
    try {
      return checkValue(key, c.fileRaw[key]);
    } catch {
      return undefined;
    }
  }
  return c.flags.settings[key]?.value ?? OPTIONS[key].default;
}

function setAnywhere(c: Candidate, key: OptionKey): boolean {
  return key in c.fileRaw || c.flags.settings[key] !== undefined;
}

function boolOutside(c: Candidate, key: string): boolean {
  if (c.fileRaw[key] === true) return true;
  return c.argv.some((w) => w === `--${key}` || w === `--${key}=true`);
}

function subnetOf(cidr: string): string {
  const [addr, prefix] = ipaddr.parseCIDR(cidr);
  return `${ipaddr.IPv4.networkAddressFromCIDR(`${addr.toString()}/${prefix}`).toString()}/${prefix}`;
}

function contains(outer: string, inner: string): boolean {
  const [o, op] = ipaddr.parseCIDR(outer);
  const [i, ip] = ipaddr.parseCIDR(inner);
  return o.kind() === i.kind() && ip >= op && i.match(o, op);
}

export function validate(c: Candidate, facts: HostFacts): Finding[] {
  const out: Finding[] = [];
  const add = (severity: Severity, rule: string, key: string, message: string, hint: string | null): void => {
    out.push({ severity, rule, key, message, hint });
  };

  // Start-up failures dockerd reports from the file itself.
  if (c.fileNonStandard)
    add(
      'error',
      'file-not-json',
      'daemon.json',
      `${c.filePath}: ${c.fileNonStandard}`,
      'stage any change and apply: xnet-tui rewrites it as plain JSON',
    );
  for (const key of Object.keys(c.fileRaw))
    if (!DOCKERD_FILE_KEYS.has(key))
      add(
        'error',
        'unknown-key',
        key,
        `${c.filePath} has "${key}", which dockerd 20.10 does not know: it refuses to start ("don't match any configuration option")`,
        `xnet-tui dockerd unset ${key}`,
      );
  for (const key of OPTION_KEYS) {
    if (key in c.fileRaw) {
      try {
        checkValue(key, c.fileRaw[key]);
      } catch (err) {
        add(
          'error',
          'bad-value',
          key,
          `${c.filePath}: ${(err as Error).message}`,
          `xnet-tui dockerd set ${key}=VALUE`,
        );
      }
    }
  }
  for (const p of c.flags.problems)
    add('error', 'bad-value', 'flags', `${c.flagsFile ?? 'command line'}: ${p}`, null);

  // The same option as a flag and in daemon.json.
  for (const key of OPTION_KEYS) {
    const flag = c.flags.settings[key];
    if (!flag || !(key in c.fileRaw)) continue;
    add(
      'error',
      'flag-and-file',
      key,
      `${key} is set both as a flag (--${OPTIONS[key].flag}=${formatValue(flag.value)} in ${c.flagsFile ?? 'the command line'}) ` +
        `and in ${c.filePath} (${JSON.stringify(c.fileRaw[key])}): dockerd refuses to start ` +
        `("the following directives are specified both as a flag and in the configuration file")`,
      `move it to one place: xnet-tui dockerd move ${key} --to daemon.json (or --to flag)`,
    );
  }

  const bridge = value(c, 'bridge') as string | undefined;
  const bip = value(c, 'bip') as string | undefined;
  const fixed = value(c, 'fixed-cidr') as string | undefined;
  const usesBridge = bridge !== undefined && bridge !== '' && bridge !== 'docker0';

  if (usesBridge && bridge !== 'none' && bip)
    add(
      'error',
      'bridge-with-bip',
      'bip',
      `bridge=${bridge} and bip=${bip} are mutually exclusive: bip sets docker0's address, an existing bridge keeps its own`,
      `unset one: xnet-tui dockerd unset bip (the bridge's address is used)`,
    );

  if (value(c, 'icc') === false && value(c, 'iptables') === false)
    add(
      'error',
      'icc-needs-iptables',
      'icc',
      'icc=false with iptables=false: dockerd isolates containers with iptables rules, and refuses to start without them',
      'set iptables=true, or icc=true',
    );

  if (value(c, 'ip6tables') === true && !boolOutside(c, 'experimental'))
    add(
      'error',
      'ip6tables-experimental',
      'ip6tables',
      'ip6tables=true needs experimental features in dockerd 20.10; it refuses to start without them',
      'unset ip6tables, or enable "experimental" in daemon.json',
    );

  if (value(c, 'iptables') === false && setAnywhere(c, 'ip-masq') && value(c, 'ip-masq') === true)
    add('warning', 'masq-needs-iptables', 'ip-masq', 'ip-masq=true has no effect with iptables=false', null);

  if (usesBridge && bridge !== 'none' && !(bridge in facts.links))
    add(
      'error',
      'bridge-missing',
      'bridge',
      `bridge=${bridge}: there is no interface ${bridge} on this host, and dockerd does not create it`,
      `create it first (ip link add ${bridge} type bridge), or check the name with \`ip link\``,
    );

  if (usesBridge && bridge !== 'none' && bridge in facts.links && !fixed && facts.links[bridge]!.length === 0)
    add(
      'warning',
      'bridge-no-address',
      'bridge',
      `bridge ${bridge} has no IPv4 address; dockerd will pick one from the pools`,
      null,
    );

  // fixed-cidr must sit inside the bridge's subnet (bip's, the named bridge's, or docker0's).
  if (fixed) {
    const subnets = bip
      ? [subnetOf(bip)]
      : usesBridge
        ? (facts.links[bridge!] ?? []).map(subnetOf)
        : (facts.links['docker0'] ?? []).map(subnetOf);
    const where = bip ? `bip ${bip}` : usesBridge ? `bridge ${bridge}` : 'docker0';
    if (subnets.length > 0 && !subnets.some((s) => contains(s, fixed)))
      add(
        'error',
        'fixed-cidr-outside',
        'fixed-cidr',
        `fixed-cidr=${fixed} is not inside ${where}'s subnet (${subnets.join(', ')}): dockerd cannot allocate from it`,
        `pick a range inside ${subnets[0]}, for example ${subnets[0]!.replace(/\/\d+$/, '')}/${Math.min(30, Number(subnets[0]!.split('/')[1]) + 1)}`,
      );
  }

  // Overlap with the overlay and with routes this host already has.
  const ownDev = usesBridge ? bridge : 'docker0';
  const ranges: Array<{ key: OptionKey; cidr: string; strict: boolean }> = [];
  if (bip) ranges.push({ key: 'bip', cidr: subnetOf(bip), strict: true });
  if (fixed) ranges.push({ key: 'fixed-cidr', cidr: fixed, strict: true });
  if (setAnywhere(c, 'default-address-pools'))
    for (const p of (value(c, 'default-address-pools') as Array<{ base: string }> | undefined) ?? [])
      ranges.push({ key: 'default-address-pools', cidr: p.base, strict: false });
  for (const r of ranges) {
    for (const o of facts.overlay)
      if (cidrsOverlap(r.cidr, o.cidr))
        add(
          'error',
          'overlay-overlap',
          r.key,
          `${r.key} ${r.cidr} overlaps the overlay range ${o.cidr} (${o.what}): containers there would be unreachable`,
          'pick a range outside the overlay',
        );
    for (const route of facts.routes) {
      if (route.dst === 'default' || route.dev === ownDev || route.dev?.startsWith('br-')) continue;
      if (route.dev === 'xnet' || route.dev === 'docker0') continue;
      const dst = route.dst.includes('/') ? route.dst : `${route.dst}/32`;
      if (!cidrsOverlap(r.cidr, dst)) continue;
      add(
        r.strict ? 'error' : 'warning',
        'route-overlap',
        r.key,
        `${r.key} ${r.cidr} overlaps the host route ${route.dst}${route.dev ? ` dev ${route.dev}` : ''}` +
          (r.strict
            ? ': traffic to those addresses would go the wrong way'
            : ': dockerd will skip that part of the pool'),
        'pick a range no route on this host covers (`ip route`)',
      );
    }
  }

  // A TCP socket without TLS is root for anyone who can reach the port.
  const hosts = (value(c, 'hosts') as string[] | undefined) ?? [];
  // hosts replaces dockerd's sockets: without the one the agent uses, apply could only wait out its timeout
  // for a dockerd it can no longer reach, then roll back. fd:// (systemd's socket) cannot be judged from here.
  const own = facts.agentDockerHost;
  if (own?.startsWith('unix://') && setAnywhere(c, 'hosts') && hosts.length > 0)
    if (!hosts.some((h) => h === own || h.startsWith('fd://')))
      add(
        'error',
        'hosts-drop-agent-socket',
        'hosts',
        `hosts=${hosts.join(',')} drops ${own}, the socket this agent talks to dockerd on: after the restart the agent could not reach dockerd, and apply would only fail at its timeout`,
        `keep the unix socket: xnet-tui dockerd set hosts=${[own, ...hosts].join(',')}`,
      );
  const tcp = hosts.filter((h) => h.startsWith('tcp://'));
  if (tcp.length > 0 && !boolOutside(c, 'tlsverify') && !boolOutside(c, 'tls'))
    add(
      'confirm',
      'tcp-without-tls',
      'hosts',
      `hosts ${tcp.join(', ')} without TLS: anyone who can reach that port gets root on this host`,
      'if you really mean it, apply with --allow-insecure-tcp; otherwise configure tlsverify, tlscacert, tlscert and tlskey',
    );
  return out;
}

/**
 * Errors in `after` that `before` did not have (by rule and key): what a stage would bring in. Warnings and
 * confirmations are never refused at stage time; apply asks for those.
 */
export function introducedErrors(before: readonly Finding[], after: readonly Finding[]): Finding[] {
  const had = new Set(before.filter((f) => f.severity === 'error').map((f) => `${f.rule} ${f.key}`));
  return after.filter((f) => f.severity === 'error' && !had.has(`${f.rule} ${f.key}`));
}

export const blocking = (f: Finding[], confirmed: { insecureTcp: boolean }): Finding[] =>
  f.filter((x) => x.severity === 'error' || (x.severity === 'confirm' && !confirmed.insecureTcp));
