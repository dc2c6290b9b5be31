import type { DoctorCheck } from '../api/doctor.js';
import { describeDriver } from '../router/descriptions.js';
import { clockDrivers, firewallCheck, meshPorts, moduleChecks, notNeeded, underlayCheck } from './needs.js';
import type { DriverName, MeshClocks } from '../router/driver.js';

/** What the agent found on this host, before any judgement; the effects in facts.ts fill it in. */
export interface DoctorFacts {
  /** Each kernel module a built driver needs (description `host.modules`): loaded or built in, /sys/module/NAME. */
  modules: Record<string, boolean>;
  /** null: br_netfilter not loaded; else bridge-nf-call-iptables in this namespace. */
  brNetfilter: number | null;
  bpffs: boolean;
  tools: Record<'clang' | 'bpftool' | 'tc' | 'serf' | 'fping' | 'iptables', boolean>;
  /** The driver whose ports are checked (running, or launched before); null: none yet, so every driver's. */
  driver: DriverName | null;
  /** Sockets bound to the ports the mesh uses (meshPorts), in this namespace. */
  ports: { port: number; proto: 'udp' | 'tcp'; bound: boolean }[];
  /** Per data-plane port of a built driver, the firewall rules here that drop or reject it (`iptables -S`). */
  drops: { port: number; proto: 'udp' | 'tcp'; rules: string[] }[];
  routerRunning: boolean;
  underlay: { dev: string; mtu: number } | { error: string };
  docker: { reachable: true; liveRestore: boolean; version: string } | { reachable: false; error: string };
  /** Each alive peer's clock against ours; null when no router runs or its driver cannot ask. */
  clocks: MeshClocks | { error: string } | null;
}

/** Beyond this (past the measurement's own uncertainty), events and logs of two hosts no longer line up. */
export const CLOCK_SKEW_WARN_MS = 500;

export { meshPorts } from './needs.js';

const ok = (id: string, title: string, detail: string): DoctorCheck => ({
  id,
  title,
  state: 'ok',
  detail,
  fix: null,
});

/** The findings in words, from the facts; pure. A warn still works; only a fail makes `doctor` exit 1. */
export function verdicts(f: DoctorFacts): DoctorCheck[] {
  const out: DoctorCheck[] = [];
  out.push(...moduleChecks(f.driver, f.modules));
  out.push(
    f.brNetfilter === null
      ? ok('br_netfilter', 'br_netfilter', 'not loaded: bridged frames skip iptables')
      : f.brNetfilter === 0
        ? ok('br_netfilter', 'br_netfilter', 'loaded, bridge-nf-call-iptables=0 here')
        : {
            id: 'br_netfilter',
            title: 'br_netfilter',
            state: 'ok',
            detail:
              'loaded with bridge-nf-call-iptables=1 (docker turns it on): the vxlan driver keeps its bridge in a namespace of its own, where it is off; the bridge driver pays iptables per frame',
            fix: null,
          },
  );
  out.push(
    f.bpffs
      ? ok('bpffs', 'bpffs', 'mounted')
      : {
          id: 'bpffs',
          title: 'bpffs',
          state: 'warn',
          detail: 'not mounted: eBPF counters cannot pin their maps; rates fall back to interface counters',
          fix: 'mount -t bpf bpf /sys/fs/bpf',
        },
  );
  const bpfMissing = (['clang', 'bpftool', 'tc'] as const).filter((t) => !f.tools[t]);
  out.push(
    bpfMissing.length === 0
      ? ok('bpf-tools', 'BPF toolchain', 'clang, bpftool and tc found')
      : {
          id: 'bpf-tools',
          title: 'BPF toolchain',
          state: 'warn',
          detail: `${bpfMissing.join(', ')} not found: per-protocol counters fall back to interface counters`,
          fix: 'apt-get install clang bpftool iproute2',
        },
  );
  const needed = (['serf', 'fping', 'iptables'] as const).filter((t) => !f.tools[t]);
  out.push(
    needed.length === 0
      ? ok('tools', 'serf, fping, iptables', 'found')
      : {
          id: 'tools',
          title: 'serf, fping, iptables',
          state: 'fail',
          detail: `${needed.join(', ')} not found: the mesh cannot run without ${needed.length > 1 ? 'them' : 'it'}`,
          fix: `apt-get install ${needed.join(' ')}`,
        },
  );
  for (const p of meshPorts(f.driver)) {
    const bound = f.ports.some((x) => x.port === p.port && x.proto === p.proto && x.bound);
    const id = `port-${p.port}-${p.proto}`;
    // With no driver chosen yet, each port says which drivers need it.
    const title = `${p.proto.toUpperCase()} ${p.port} (${p.what}${f.driver ? '' : `; ${p.drivers.join(', ')}`})`;
    if (!bound)
      out.push(
        f.routerRunning
          ? {
              id,
              title,
              state: 'fail',
              detail: 'the router runs but nothing listens there',
              fix: 'xnet-tui launch (relaunching re-creates it)',
            }
          : ok(id, title, 'free'),
      );
    else
      out.push(
        f.routerRunning
          ? ok(id, title, 'in use by the router')
          : {
              id,
              title,
              state: 'fail',
              detail: `another process holds it: launching ${p.drivers.join(' or ')} would fail`,
              fix: `find it: ss -lpn 'sport = :${p.port}'`,
            },
      );
  }
  out.push(firewallCheck(f.driver, f.drops));
  out.push(underlayCheck(f.driver, f.underlay));
  if (!f.docker.reachable)
    out.push({
      id: 'dockerd',
      title: 'dockerd',
      state: 'fail',
      detail: `unreachable: ${f.docker.error}`,
      fix: 'systemctl start docker, or pass --docker-host to the agent',
    });
  else
    out.push(
      f.docker.liveRestore
        ? ok('dockerd', 'dockerd', `${f.docker.version}, live-restore on: a restart keeps containers running`)
        : {
            id: 'dockerd',
            title: 'dockerd',
            state: 'warn',
            detail: `${f.docker.version}, live-restore off: applying dockerd options stops every running container`,
            fix: 'xnet-tui dockerd set live-restore=true && xnet-tui dockerd apply',
          },
    );
  const clockless = f.driver && !describeDriver(f.driver).host.clocks;
  out.push(clockless ? notNeeded(CLOCK, f.driver!, clockDrivers()) : clockVerdict(f.clocks));
  return out;
}

const signed = (ms: number): string =>
  `${ms >= 0 ? '+' : '-'}${Math.abs(ms) >= 1000 ? `${(Math.abs(ms) / 1000).toFixed(1)} s` : `${Math.abs(ms)} ms`}`;

const CLOCK = { id: 'clock', title: 'clock skew with peers' };

function clockVerdict(c: DoctorFacts['clocks']): DoctorCheck {
  const base = CLOCK;
  if (c === null)
    return { ...base, state: 'skip', detail: 'no router runs whose peers could be asked', fix: null };
  if ('error' in c)
    return { ...base, state: 'skip', detail: `could not ask the peers: ${c.error}`, fix: null };
  if (c.asked.length === 0)
    return { ...base, state: 'skip', detail: 'no alive peer to compare with', fix: null };
  const silent = c.asked.filter((n) => !c.clocks.some((x) => x.name === n));
  const quiet =
    silent.length > 0 ? `; ${silent.join(', ')} did not answer (an agent older than this check?)` : '';
  if (c.clocks.length === 0)
    return { ...base, state: 'skip', detail: `no peer answered the clock query${quiet}`, fix: null };
  const who = (x: MeshClocks['clocks'][number]) =>
    x.nickname ? `peer ${x.nickname} (${x.name})` : `peer ${x.name}`;
  const figure = (x: MeshClocks['clocks'][number]) =>
    `${who(x)} ${signed(x.offsetMs)} ± ${x.uncertaintyMs} ms`;
  const off = c.clocks.filter((x) => Math.abs(x.offsetMs) - x.uncertaintyMs > CLOCK_SKEW_WARN_MS);
  if (off.length > 0)
    return {
      ...base,
      state: 'warn',
      detail: `off by more than ${CLOCK_SKEW_WARN_MS} ms: ${off.map(figure).join(', ')} (their clock minus ours, through the gossip); events and logs of these hosts do not line up${quiet}`,
      fix: 'keep every host on NTP: apt-get install chrony (chronyc tracking shows the offset)',
    };
  const worst = [...c.clocks].sort((a, b) => Math.abs(b.offsetMs) - Math.abs(a.offsetMs))[0]!;
  return {
    ...base,
    state: 'ok',
    detail: `within ${CLOCK_SKEW_WARN_MS} ms of ${c.clocks.length} peer(s), through the gossip; largest ${figure(worst)}${quiet}`,
    fix: null,
  };
}
