import { intToIpv4 as ipv4Text } from '../net/cidr.js';
import { macAt, macText } from './frame.js';

/**
 * A frame's headers, read from its bytes (VXLAN frames: the inner frame, with the tunnel beside it). Pure: what
 * the capture command prints and the capture view lists and counts as talkers.
 */
export interface FrameHeader {
  /** `ICMP`, `TCP`, `UDP`, `ARP`, `ICMP6`, `IP` (another protocol), `ETH` (not IP). */
  proto: string;
  /** Addresses (IPv4/IPv6, MACs for non-IP frames) and ports where the protocol has them. */
  src: string;
  dst: string;
  sport: number | null;
  dport: number | null;
  /** What tcpdump would say after the addresses: TCP flags, ICMP type, ARP question. */
  info: string;
  /** Length on the wire of the frame (the inner one of a VXLAN packet). */
  len: number;
  /** Set when the frame is a VXLAN packet: its outer addresses, VNI and whole length (`len` is the inner frame's). */
  tunnel: { src: string; dst: string; vni: number; len: number } | null;
}

const ICMP_TYPES: Record<number, string> = {
  0: 'echo reply',
  3: 'unreachable',
  5: 'redirect',
  8: 'echo request',
  11: 'time exceeded',
};
const ICMP6_TYPES: Record<number, string> = {
  1: 'unreachable',
  2: 'packet too big',
  3: 'time exceeded',
  128: 'echo request',
  129: 'echo reply',
  133: 'router solicitation',
  134: 'router advertisement',
  135: 'neighbor solicitation',
  136: 'neighbor advertisement',
};
const TCP_FLAGS: [number, string][] = [
  [0x02, 'S'],
  [0x01, 'F'],
  [0x04, 'R'],
  [0x08, 'P'],
  [0x10, '.'],
];

/** The headers of one frame (`caplen` bytes of it in `buf`, `len` on the wire). */
export function decodeFrame(buf: Uint8Array, caplen: number, len: number, depth = 0): FrameHeader {
  const h: FrameHeader = {
    proto: 'ETH',
    src: '',
    dst: '',
    sport: null,
    dport: null,
    info: '',
    len,
    tunnel: null,
  };
  if (caplen < 14) return { ...h, info: 'truncated frame' };
  let p = 12;
  let type = (buf[p]! << 8) | buf[p + 1]!;
  while ((type === 0x8100 || type === 0x88a8) && p + 6 <= caplen) {
    p += 4;
    type = (buf[p]! << 8) | buf[p + 1]!;
  }
  const l3 = p + 2;
  h.src = macText(macAt(buf, 6));
  h.dst = macText(macAt(buf, 0));
  if (type === 0x0806) {
    h.proto = 'ARP';
    if (l3 + 28 > caplen) return h;
    const op = (buf[l3 + 6]! << 8) | buf[l3 + 7]!;
    const spa = ipv4Text(u32(buf, l3 + 14));
    const tpa = ipv4Text(u32(buf, l3 + 24));
    return {
      ...h,
      src: spa,
      dst: tpa,
      info: op === 1 ? `who-has ${tpa} tell ${spa}` : `${spa} is-at ${macText(macAt(buf, l3 + 8))}`,
    };
  }
  if (type === 0x0800 && l3 + 20 <= caplen) {
    const ihl = (buf[l3]! & 0x0f) * 4;
    const proto = buf[l3 + 9]!;
    const l4 = l3 + ihl;
    const ip = { ...h, src: ipv4Text(u32(buf, l3 + 12)), dst: ipv4Text(u32(buf, l3 + 16)) };
    const ports = l4 + 4 <= caplen ? { sport: u16(buf, l4), dport: u16(buf, l4 + 2) } : {};
    if (proto === 1) {
      const t = l4 < caplen ? buf[l4]! : undefined;
      return { ...ip, proto: 'ICMP', info: t === undefined ? '' : (ICMP_TYPES[t] ?? `type ${t}`) };
    }
    if (proto === 6) {
      const f = l4 + 14 <= caplen ? buf[l4 + 13]! : 0;
      const flags = TCP_FLAGS.filter(([bit]) => f & bit)
        .map(([, c]) => c)
        .join('');
      return { ...ip, ...ports, proto: 'TCP', info: l4 + 14 <= caplen ? `[${flags || 'none'}]` : '' };
    }
    if (proto === 17) {
      // A VXLAN frame (UDP 4789, first fragment): the frame it carries, with the tunnel beside it.
      if (ports.dport === 4789 && depth === 0 && l4 + 16 < caplen) {
        const vni = (buf[l4 + 12]! << 16) | (buf[l4 + 13]! << 8) | buf[l4 + 14]!;
        const inner = l4 + 16;
        const got = decodeFrame(buf.subarray(inner), caplen - inner, len - inner, 1);
        return { ...got, tunnel: { src: ip.src, dst: ip.dst, vni, len } };
      }
      return { ...ip, ...ports, proto: 'UDP' };
    }
    return { ...ip, proto: 'IP', info: `protocol ${proto}` };
  }
  if (type === 0x86dd && l3 + 40 <= caplen) {
    const next = buf[l3 + 6]!;
    const l4 = l3 + 40;
    const ip = { ...h, src: ipv6(buf, l3 + 8), dst: ipv6(buf, l3 + 24) };
    const ports = l4 + 4 <= caplen ? { sport: u16(buf, l4), dport: u16(buf, l4 + 2) } : {};
    if (next === 58) {
      const t = l4 < caplen ? buf[l4]! : undefined;
      return { ...ip, proto: 'ICMP6', info: t === undefined ? '' : (ICMP6_TYPES[t] ?? `type ${t}`) };
    }
    if (next === 6) return { ...ip, ...ports, proto: 'TCP' };
    if (next === 17) return { ...ip, ...ports, proto: 'UDP' };
    return { ...ip, proto: 'IP', info: `next header ${next}` };
  }
  return { ...h, info: `ethertype 0x${type.toString(16).padStart(4, '0')}` };
}

/** `a.1 > b.2` or `a > b`: an endpoint pair as tcpdump writes it. */
export function endpoints(h: Pick<FrameHeader, 'src' | 'dst' | 'sport' | 'dport'>): string {
  const at = (a: string, port: number | null) => (port === null ? a : `${a}.${port}`);
  return `${at(h.src, h.sport)} > ${at(h.dst, h.dport)}`;
}

/** One line per frame, tcpdump-like: who to whom and what (VXLAN frames: the inner one). Pure. */
export function describeFrame(buf: Uint8Array, caplen: number, len: number): string {
  return describeHeader(decodeFrame(buf, caplen, len));
}

export function describeHeader(h: FrameHeader): string {
  const inner = innerText(h);
  return h.tunnel ? `IP ${h.tunnel.src} > ${h.tunnel.dst}: VXLAN vni ${h.tunnel.vni}: ${inner}` : inner;
}

function innerText(h: FrameHeader): string {
  if (h.info === 'truncated frame') return `truncated frame, ${h.len} bytes`;
  if (h.proto === 'ARP') return h.info ? `ARP ${h.info}` : `${h.src} > ${h.dst} ARP, length ${h.len}`;
  if (h.proto === 'ETH') return `${h.src} > ${h.dst} ${h.info}, length ${h.len}`;
  const ip = h.src.includes(':') ? 'IP6' : 'IP';
  const what = h.proto === 'IP' ? h.info : `${h.proto}${h.info ? ` ${h.info}` : ''}`;
  return `${ip} ${endpoints(h)}: ${what}, length ${h.len}`;
}

function u16(buf: Uint8Array, off: number): number {
  return (buf[off]! << 8) | buf[off + 1]!;
}

function u32(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

function ipv6(buf: Uint8Array, off: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((buf[off + i]! << 8) | buf[off + i + 1]!).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}
