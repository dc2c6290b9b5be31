import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labHost, type LabHost } from '../../src/lab/layout.js';
import { labSh, xnet, xnetJson } from './cli.js';
import { router } from './lab.js';
import { eventually } from './wait.js';

/** The set-up most lab suites share: a fresh lab, containers, a vxlan mesh, addresses; and its teardown. */

export interface MeshContainer {
  /** The lab host it runs on: h1, h2... */
  host: string;
  name: string;
  /** Attached with this CIDR once the mesh is up; left unattached without one. */
  cidr?: string;
}

export interface MeshOptions<N extends number> {
  hosts: N;
  /** busybox containers, started before the mesh. */
  containers?: MeshContainer[];
  /** A mesh password: written to a file in h1's data dir and given to every launch. */
  password?: string;
  /** Whom each host joins: h1 (`first`, the default), or the host launched before it (`previous`). */
  join?: 'first' | 'previous';
  /** false: the lab and its containers only, no router launched (nor any address attached). */
  launch?: false;
  /** Wait until h1 sees every peer alive in gossip and reachable over VXLAN, for at most this long. */
  reachableWithinMs?: number;
}

type Hosts<N extends number> = N extends 1
  ? [LabHost]
  : N extends 2
    ? [LabHost, LabHost]
    : N extends 3
      ? [LabHost, LabHost, LabHost]
      : LabHost[];

export interface LabMesh<N extends number> {
  hosts: Hosts<N>;
  /** The password file, when the mesh has a password. */
  passwordFile: string | undefined;
  /** Takes down whatever lab is left, brings up `hosts` anew and builds the mesh on them. */
  up(): Promise<void>;
  /** Removes the lab (idempotent, as `lab down` is). */
  down(): Promise<void>;
}

const NICKNAMES = ['one', 'two', 'three', 'four', 'five'];

/** A vxlan mesh of `hosts` lab hosts, nicknamed one, two, three...; nothing happens until up(). */
export function labMesh<N extends number>(o: MeshOptions<N>): LabMesh<N> {
  const hosts = Array.from({ length: o.hosts }, (_, i) => labHost(i + 1)) as Hosts<N>;
  const [first] = hosts as LabHost[];
  const passwordFile = o.password === undefined ? undefined : join(first!.dataDir, 'mesh-password-test');
  return {
    hosts,
    passwordFile,
    async up() {
      await xnet(['lab', 'down']);
      const up = await xnet(['lab', 'up', '--hosts', String(o.hosts)]);
      if (up.code !== 0) throw new Error(`lab up --hosts ${o.hosts} exited ${up.code}: ${up.stderr}`);
      for (const c of o.containers ?? [])
        labSh(c.host, ['docker', 'run', '-d', '--name', c.name, 'xnet/busybox', 'sleep', '3600']);
      if (passwordFile) writeFileSync(passwordFile, `${o.password}\n`, { mode: 0o600 });
      if (o.launch === false) return;
      for (const [i, h] of (hosts as LabHost[]).entries()) {
        const joins = i === 0 ? [] : [(o.join === 'previous' ? hosts[i - 1]! : first!).address];
        const pw = passwordFile ? ['--password-file', passwordFile] : [];
        await xnetJson(['--lab', h.name, 'launch', '--nickname', NICKNAMES[i]!, ...pw, ...joins]);
      }
      for (const c of o.containers ?? [])
        if (c.cidr) await xnetJson(['--lab', c.host, 'attach', c.cidr, c.name]);
      if (o.reachableWithinMs !== undefined)
        await eventually(
          `h1 sees ${o.hosts - 1} peers alive and reachable`,
          async () => (await router(first!.name)).peers.filter((p) => !p.self),
          (peers) =>
            peers.length === o.hosts - 1 &&
            peers.every((p) => p.gossip === 'alive' && p.dataPlane.state === 'reachable'),
          o.reachableWithinMs,
        );
    },
    async down() {
      await xnet(['lab', 'down']);
    },
  };
}

/** c1's and c2's addresses in labPair. */
export const C1 = '172.25.11.23';
export const C2 = '172.25.11.24';

/** The smallest mesh that carries traffic: h1 and h2, c1 on h1 attached as C1/24, c2 on h2 as C2/24. */
export const labPair = (): LabMesh<2> =>
  labMesh({
    hosts: 2,
    containers: [
      { host: 'h1', name: 'c1', cidr: `${C1}/24` },
      { host: 'h2', name: 'c2', cidr: `${C2}/24` },
    ],
  });
