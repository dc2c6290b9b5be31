import { run } from './exec.js';
import { inNetns, type NetnsPath } from './netns.js';

/**
 * Turns IPv6 on for one interface (docker turns it off in containers), so it gets a link-local address and
 * can reach peers' probe addresses across the overlay. Only that interface, and only link-local: no address
 * is added and no router is listened to.
 */
export async function enableLinkLocal(netns: NetnsPath, ifname: string): Promise<void> {
  const [file, args] = inNetns(netns, 'sysctl', [
    '-q',
    '-w',
    `net.ipv6.conf.${ifname}.accept_ra=0`,
    `net.ipv6.conf.${ifname}.disable_ipv6=0`,
  ]);
  await run(file, args);
}
