import { intToIpv4 as ipv4Text } from '../net/cidr.js';
import { macAt, macText } from './frame.js';

/** One line per frame, tcpdump-like, from the header bytes: who to whom and what (VXLAN frames: the inner one). Pure. */
export function describeFrame(buf: Uint8Array, caplen: number, len: number, depth = 0): string {
  if (caplen < 14) return `truncated frame, ${len} bytes`;
  let p = 12;
  let type = (buf[p]! << 8) | buf[p + 1]!;
  while ((type === 0x8100 || type === 0x88a8) && p + 6 <= caplen) {
    p += 4;
    type = (buf[p]! << 8) | buf[p + 1]!;
  }
  const l3 = p + 2;
  const eth = `${macText(macAt(buf, 6))} > ${macText(macAt(buf, 0))}`;
  if (type === 0x0806) {
    if (l3 + 28 > caplen) return `${eth} ARP, length ${len}`;
    const op = (buf[l3 + 6]! << 8) | buf[l3 + 7]!;
    const spa = ipv4Text(u32(buf, l3 + 14));
    const tpa = ipv4Text(u32(buf, l3 + 24));
    return op === 1 ? `ARP who-has ${tpa} tell ${spa}` : `ARP ${spa} is-at ${macText(macAt(buf, l3 + 8))}`;
  }
  if (type === 0x0800 && l3 + 20 <= caplen) {
    const ihl = (buf[l3]! & 0x0f) * 4;
    const proto = buf[l3 + 9]!;
    const src = ipv4Text(u32(buf, l3 + 12));
    const dst = ipv4Text(u32(buf, l3 + 16));
    const l4 = l3 + ihl;
    const ports =
      l4 + 4 <= caplen ? [(buf[l4]! << 8) | buf[l4 + 1]!, (buf[l4 + 2]! << 8) | buf[l4 + 3]!] : null;
    if (proto === 1) return `IP ${src} > ${dst}: ICMP${l4 < caplen ? ` type ${buf[l4]}` : ''}, length ${len}`;
    if (proto === 6 && ports) return `IP ${src}.${ports[0]} > ${dst}.${ports[1]}: TCP, length ${len}`;
    if (proto === 17 && ports) {
      // A VXLAN frame (UDP 4789, first fragment): say what it carries.
      if (ports[1] === 4789 && depth === 0 && l4 + 16 < caplen) {
        const vni = (buf[l4 + 12]! << 16) | (buf[l4 + 13]! << 8) | buf[l4 + 14]!;
        const inner = l4 + 16;
        const rest = describeFrame(buf.subarray(inner), caplen - inner, len - inner, 1);
        return `IP ${src} > ${dst}: VXLAN vni ${vni}: ${rest}`;
      }
      return `IP ${src}.${ports[0]} > ${dst}.${ports[1]}: UDP, length ${len}`;
    }
    return `IP ${src} > ${dst}: protocol ${proto}, length ${len}`;
  }
  if (type === 0x86dd && l3 + 40 <= caplen) {
    const next = buf[l3 + 6]!;
    const what = next === 58 ? 'ICMP6' : next === 6 ? 'TCP' : next === 17 ? 'UDP' : `next header ${next}`;
    return `IP6 ${ipv6(buf, l3 + 8)} > ${ipv6(buf, l3 + 24)}: ${what}, length ${len}`;
  }
  return `${eth} ethertype 0x${type.toString(16).padStart(4, '0')}, length ${len}`;
}

function u32(buf: Uint8Array, off: number): number {
  return ((buf[off]! << 24) | (buf[off + 1]! << 16) | (buf[off + 2]! << 8) | buf[off + 3]!) >>> 0;
}

function ipv6(buf: Uint8Array, off: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((buf[off + i]! << 8) | buf[off + i + 1]!).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}
