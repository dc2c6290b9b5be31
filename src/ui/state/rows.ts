import type { ContainerRow, RateSample } from '../../api/index.js';
import type { ProtocolCounts } from '../../api/telemetry.js';
import type { PaneId } from '../compute/panes.js';
import { containerRate, type Rate, type Series } from '../compute/rates.js';
import type { PeerRow, PingCheckRow, UIState } from './model.js';
import { peerMatches, peerSummary, sortPeers, summaryLine } from '../../router/peer-summary.js';

/** Rows of each pane after its filter: what selection indexes into. Pure, shared by panes and keys. */

function matches(filter: string, ...fields: (string | undefined)[]): boolean {
  if (!filter) return true;
  const f = filter.toLowerCase();
  return fields.some((x) => x?.toLowerCase().includes(f));
}

/** Attached containers first, then running, then stopped; by name within each. */
export function containerRows(s: UIState): ContainerRow[] {
  const rank = (c: ContainerRow): number => (c.attachment ? 0 : c.running ? 1 : 2);
  return s.containers
    .filter((c) =>
      // Names and addresses: every attached container has an `ethwe`, so its name would match them all.
      matches(s.filters.containers, c.name, ...(c.attachment?.cidrs ?? [])),
    )
    .sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

export interface TrafficRow {
  id: string;
  label: string;
  /** The interface the numbers come from. */
  ifname: string;
  kind: 'bridge' | 'container' | 'peer';
  series: Series | undefined;
  rate: Rate | undefined;
  /** Set when the row has no numbers, with why. */
  note?: string;
  /** Packets/s of the newest second (kernel counters), when they count this row. */
  packets?: { rx: number; tx: number };
  /** The newest second by protocol (both directions), or why there is none. */
  protocols: ProtocolCounts | { none: string };
}

/** The newest second of a kernel-counter series: its packets and protocol split, or the reason there is none. */
function splitFields(
  samples: readonly RateSample[] | undefined,
  source: string | undefined,
): Pick<TrafficRow, 'packets' | 'protocols'> {
  const n = samples?.[samples.length - 1];
  if (!n) return { protocols: { none: source ? `not counted by ${source}` : 'waiting for the counters' } };
  const packets = { rx: n.rx.packets, tx: n.tx.packets };
  // Interface counters and GRE ports count totals only: their split is zeros, which is not "no traffic".
  if (source !== 'ebpf') return { packets, protocols: { none: `no split (${source ?? 'unknown'} source)` } };
  return { packets, protocols: n.protocols };
}

function flip(s: Series | undefined): Series | undefined {
  return s && { rx: s.tx, tx: s.rx, at: s.at };
}

/** The bridge, then each attached container (seen from inside: its rx is the host end's tx). */
export function trafficRows(s: UIState): TrafficRow[] {
  const rows: TrafficRow[] = [];
  const bridge = s.status?.bridge;
  const split = s.split;
  if (bridge) {
    // The kernel counters' bridge figures (rx delivered to the containers, tx sent by them) are what
    // `status rates` prints; the bridge device's own counters read the other way round, so they are only
    // the fallback, flipped to the same direction.
    const own = split.bridge.length ? seriesOf(split.bridge) : undefined;
    const newest = split.bridge[split.bridge.length - 1];
    rows.push({
      id: `bridge:${bridge.name}`,
      label: `bridge ${bridge.name}`,
      ifname: bridge.name,
      kind: 'bridge',
      series: own ?? flip(s.traffic.history.get(bridge.name)),
      rate: newest
        ? { rx: newest.rx.bytes, tx: newest.tx.bytes }
        : containerRate(s.traffic.rates.get(bridge.name)),
      ...splitFields(split.bridge, split.source),
      ...(bridge.present ? {} : { note: 'not created yet (the first attach creates it)' }),
    });
  }
  for (const c of containerRows({ ...s, filters: { ...s.filters, containers: '' } })) {
    const counted = split.containers.get(c.name);
    if (!c.attachment && c.running && counted) {
      // dockerd's own container on a LAN bridge (bridge driver): only the kernel counters know its port.
      const newest = counted[counted.length - 1];
      rows.push({
        id: `container:${c.name}`,
        label: c.name,
        ifname: c.name,
        kind: 'container',
        series: seriesOf(counted),
        rate: newest && { rx: newest.rx.bytes, tx: newest.tx.bytes },
        ...splitFields(counted, split.source),
      });
      continue;
    }
    if (!c.attachment) continue;
    const host = c.attachment.hostIfname;
    rows.push({
      id: `container:${c.name}`,
      label: c.name,
      ifname: host,
      kind: 'container',
      series: flip(s.traffic.history.get(host)),
      rate: containerRate(s.traffic.rates.get(host)),
      ...splitFields(split.containers.get(c.name), split.source),
      ...(c.running ? {} : { note: 'container stopped' }),
    });
  }
  if (s.peerRates.available) {
    for (const p of s.peerRates.data) {
      const newest = p.series[p.series.length - 1];
      const none = p.source === 'none';
      rows.push({
        id: `peer:${p.address}`,
        label: `peer ${p.nickname ?? p.address}`,
        ifname: p.address,
        kind: 'peer',
        series: none ? undefined : seriesOf(p.series),
        rate: none ? undefined : newest && { rx: newest.rx.bytes, tx: newest.tx.bytes },
        ...splitFields(p.series, p.source ?? split.source),
        ...(none
          ? { note: `no per-peer figures from the ${s.router.available ? s.router.data.driver : 'router'}` }
          : {}),
      });
    }
  }
  // Non-members (bridge driver): the gateway and beyond, the rest of the LAN, this host; apart, not dropped.
  if (s.peerRates.available) {
    for (const o of split.others ?? []) {
      const newest = o.series[o.series.length - 1];
      rows.push({
        id: `other:${o.kind}`,
        label: o.label,
        ifname: o.address ?? o.kind,
        kind: 'peer',
        series: seriesOf(o.series),
        rate: newest && { rx: newest.rx.bytes, tx: newest.tx.bytes },
        ...splitFields(o.series, split.source),
      });
    }
  }
  return rows.filter((r) => matches(s.filters.traffic, r.label, r.ifname));
}

/** This host first, then the peers that need a look, then the rest, by name (as `status peers` lists them). */
export function peerRows(s: UIState): PeerRow[] {
  if (!s.router.available) return [];
  return sortPeers(s.router.data.peers.filter((p) => peerMatches(p, s.filters.peers)));
}

/**
 * The Peers pane's title: the mesh's summary line (all peers, whatever the filter), and how many rows the
 * filter leaves; shorter forms where the whole one is longer than `room`; empty with no peers.
 */
export function peersTitleInfo(s: UIState, room: number): string {
  if (!s.router.available) return '';
  const summary = peerSummary(s.router.data.peers);
  if (summary.peers === 0) return '';
  const k = peerRows(s).filter((p) => !p.self).length;
  const shown = s.filters.peers ? `${k} shown · ` : '';
  const forms = [
    `${shown}${summaryLine(summary)}`,
    `${shown}${summaryLine(summary, true)}`,
    s.filters.peers ? `${k} of ${summary.peers} shown` : summaryLine(summary, true),
  ];
  return forms.find((f) => f.length <= room) ?? forms[forms.length - 1]!;
}

export function pingRows(s: UIState): PingCheckRow[] {
  return s.pings.available
    ? s.pings.data.filter((p) => matches(s.filters.pings, p.label, p.from ?? 'host', p.target, p.state))
    : [];
}

/** A telemetry series (one sample a second) as the chart's series. */
function seriesOf(samples: readonly RateSample[]): Series {
  return {
    rx: samples.map((x) => x.rx.bytes),
    tx: samples.map((x) => x.tx.bytes),
    at: samples.map((x) => x.t),
  };
}

export function rowCount(s: UIState, pane: PaneId): number {
  switch (pane) {
    case 'containers':
      return containerRows(s).length;
    case 'traffic':
      return trafficRows(s).length;
    case 'peers':
      return peerRows(s).length;
    case 'pings':
      return pingRows(s).length;
  }
}

/** The selection, kept inside the rows there are now (rows come and go under it). */
export function selectedIndex(s: UIState, pane: PaneId): number {
  return Math.max(0, Math.min(s.selected[pane], rowCount(s, pane) - 1));
}

export function selectedContainer(s: UIState): ContainerRow | undefined {
  return containerRows(s)[selectedIndex(s, 'containers')];
}

/** Running containers the attach dialog offers, by name. */
export function attachable(s: UIState): ContainerRow[] {
  return s.containers.filter((c) => c.running).sort((a, b) => a.name.localeCompare(b.name));
}

/** Where an added ping check can start: this host (`''`), then each running attached container by name. */
export function pingSources(s: UIState): string[] {
  return [
    '',
    ...attachable(s)
      .filter((c) => c.attachment)
      .map((c) => c.name),
  ];
}
