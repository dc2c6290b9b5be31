import { procCidrs } from '../net/proc-addrs.js';
import { containerInterface } from '../net/veth.js';
import { liveCidrs } from './attach-view.js';

/**
 * A container's IPv4 addresses on `ifname` now, or undefined when it has no such interface. With `expected`
 * (the attachment's addresses) /proc is read first, no process; only when it seems to lack one of them is
 * `ip` asked in the container, since /proc can miss what `ip` shows (net/proc-addrs.ts). Without it, `ip`.
 */
export async function liveCidrsOf(
  pid: number,
  ifname: string,
  expected?: readonly string[],
): Promise<string[] | undefined> {
  if (expected) {
    const seen = await procCidrs(pid, ifname);
    if (seen && expected.every((x) => seen.includes(x))) return seen;
  }
  const live = await containerInterface(pid, ifname);
  return live && liveCidrs(live);
}
