import type Docker from 'dockerode';
import { addrs, routes4 } from '../../net/ip.js';
import { parseInterfaceCidr } from '../../net/cidr.js';
import type { Handlers } from '../../api/index.js';
import { DockerdConfig } from './apply.js';
import { SYSTEMD_DIRS } from './files.js';
import type { HostFacts } from './validate.js';

/** How the agent finds and restarts this host's dockerd (agent options --dockerd-*). */
export interface DockerdAgentOptions {
  /** daemon.json; default: the unit's --config-file, else /etc/docker/daemon.json. */
  configPath?: string;
  /** Where the unit and its drop-ins are; default: systemd's directories. */
  unitDir?: string;
  unit?: string;
  /** A command that restarts dockerd and returns when it started or failed; default: systemctl. */
  restart?: string[];
  /** dockerd's log file; default: the unit's journal. */
  logFile?: string;
}

export interface DockerdHandlerDeps {
  options: DockerdAgentOptions;
  stateDir: string;
  docker: Docker;
  /** Desired state: the router's range and the attachments, which dockerd's ranges must not overlap. */
  state: () => {
    router?: { range: string } | undefined;
    attachments: ReadonlyArray<{ containerName: string; cidrs: string[] }>;
  };
  overlayBridge: string;
  reattach: () => Promise<number>;
  log: (msg: string) => void;
}

async function hostFacts(d: DockerdHandlerDeps): Promise<HostFacts> {
  const [all, routes] = await Promise.all([addrs(undefined), routes4(undefined)]);
  const links: HostFacts['links'] = {};
  for (const l of all)
    links[l.ifname] = l.addr_info.filter((a) => a.family === 'inet').map((a) => `${a.local}/${a.prefixlen}`);
  const overlay = [
    ...(links[d.overlayBridge] ?? []).map((c) => ({
      cidr: parseInterfaceCidr(c).subnet,
      what: `bridge ${d.overlayBridge}`,
    })),
    ...overlayRanges(d.state()),
  ];
  return { links, routes: routes.map((r) => ({ dst: r.dst, ...(r.dev ? { dev: r.dev } : {}) })), overlay };
}

export function overlayRanges(state: ReturnType<DockerdHandlerDeps['state']>): HostFacts['overlay'] {
  const out: HostFacts['overlay'] = [];
  if (state.router?.range) out.push({ cidr: state.router.range, what: 'the router range' });
  for (const a of state.attachments)
    for (const c of a.cidrs) {
      try {
        out.push({ cidr: parseInterfaceCidr(c).subnet, what: `attachment of ${a.containerName}` });
      } catch {
        /* not ours to judge here */
      }
    }
  return out;
}

/** This host's dockerd options: one instance serves the dockerd.* methods and the drivers that need a subnet set. */
export function dockerdConfig(d: DockerdHandlerDeps): DockerdConfig {
  const o = d.options;
  const unit = o.unit ?? 'docker.service';
  return new DockerdConfig({
    locations: { configPath: o.configPath, unitDirs: o.unitDir ? [o.unitDir] : SYSTEMD_DIRS, unit },
    restart: { command: o.restart && o.restart.length > 0 ? o.restart : 'systemd', unit, logFile: o.logFile },
    stateDir: d.stateDir,
    docker: d.docker,
    facts: () => hostFacts(d),
    reattach: d.reattach,
    log: d.log,
  });
}

/** The agent's dockerd.* methods. */
export function dockerdHandlers(
  config: DockerdConfig,
): Pick<Handlers, 'dockerd.show' | 'dockerd.stage' | 'dockerd.diff' | 'dockerd.apply' | 'dockerd.rollback'> {
  return {
    'dockerd.show': () => config.show(),
    'dockerd.stage': (p) => config.stage(p),
    'dockerd.diff': (p) => config.diff(p.preview),
    'dockerd.apply': (p) => config.apply(p),
    'dockerd.rollback': (p) => config.rollback(p),
  };
}
