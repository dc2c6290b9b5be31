import { join } from 'node:path';

/**
 * Names, addresses and paths of the lab; pure so tests and the CLI agree on them.
 * XNET_LAB_ID (a digit or two) gives a second lab its own names, so two can run on one machine.
 */
const LAB_ID = /^\d{0,2}$/.test(process.env.XNET_LAB_ID ?? '') ? (process.env.XNET_LAB_ID ?? '') : '';
export const NETNS_PREFIX = `xnet${LAB_ID}-`;
export const LAB_RUN = `/run/xnet/lab${LAB_ID}`;
export const LAB_DATA = `/var/lib/xnet-lab${LAB_ID}`;
export const LAN_NETNS = `${NETNS_PREFIX}lan`;
export const LAN_BRIDGE = 'lan0';
export const UNDERLAY = '198.18.0.0/24';
export const UNDERLAY_PREFIX = 24;
/** A namespace on the LAN standing in for its router: every host's default gateway (the bridge driver checks it). */
export const GATEWAY_NETNS = `${NETNS_PREFIX}gw`;
export const GATEWAY = '198.18.0.254';
export const IMAGE = 'xnet/busybox:latest';
export const MAX_HOSTS = 50;

export interface LabHost {
  name: string;
  index: number;
  netns: string;
  netnsPath: string;
  address: string;
  runDir: string;
  dataDir: string;
  dockerSocket: string;
  dockerHost: string;
  dockerPidfile: string;
  dockerExecRoot: string;
  dockerDataRoot: string;
  dockerLog: string;
  /** Present while the host was brought up without a dockerd (`lab up --no-docker`): its absence is no fault. */
  noDockerdMark: string;
  agentSocket: string;
  agentStateDir: string;
  agentLog: string;
  agentPidfile: string;
  /** The process that restarts the agent when it exits (the lab has no systemd). */
  supervisorPidfile: string;
  supervisorLog: string;
}

export function labHost(index: number): LabHost {
  const name = `h${index}`;
  const runDir = join(LAB_RUN, name);
  const dataDir = join(LAB_DATA, name);
  const dockerSocket = join(runDir, 'docker.sock');
  return {
    name,
    index,
    netns: `${NETNS_PREFIX}${name}`,
    netnsPath: `/run/netns/${NETNS_PREFIX}${name}`,
    address: `198.18.0.${index}`,
    runDir,
    dataDir,
    dockerSocket,
    dockerHost: `unix://${dockerSocket}`,
    dockerPidfile: join(runDir, 'docker.pid'),
    dockerExecRoot: join(runDir, 'docker'),
    dockerDataRoot: join(dataDir, 'docker'),
    dockerLog: join(runDir, 'dockerd.log'),
    noDockerdMark: join(runDir, 'no-dockerd'),
    agentSocket: join(runDir, 'agent.sock'),
    agentStateDir: join(dataDir, 'xnet'),
    agentLog: join(runDir, 'agent.log'),
    agentPidfile: join(runDir, 'agent.pid'),
    supervisorPidfile: join(runDir, 'supervisor.pid'),
    supervisorLog: join(runDir, 'supervisor.log'),
  };
}

/** `h2` -> 2; undefined for anything that is not a lab host name. */
export function hostIndex(name: string): number | undefined {
  const m = /^h([1-9]\d?)$/.exec(name);
  const n = m ? Number(m[1]) : undefined;
  return n !== undefined && n <= MAX_HOSTS ? n : undefined;
}
