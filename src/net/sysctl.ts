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

/**
 * Keeps a bridge of ours from soliciting routers: the kernel sends IPv6 router solicitations from every
 * interface with a link-local address, for ever with back-off (router_solicitations -1), and on a bridge each
 * one reaches every container, so an idle host's screen showed a blip every few seconds to minutes. The bridge's
 * link-local address (the data-plane probes' target) stays; no router is listened to.
 */
export async function quietBridge(netns: NetnsPath, ifname: string): Promise<void> {
  const [file, args] = inNetns(netns, 'sysctl', [
    '-q',
    '-w',
    `net.ipv6.conf.${ifname}.router_solicitations=0`,
    `net.ipv6.conf.${ifname}.accept_ra=0`,
  ]);
  await run(file, args);
}
