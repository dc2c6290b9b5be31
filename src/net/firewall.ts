import { run } from './exec.js';
import { inNetns, type NetnsPath } from './netns.js';

/**
 * dockerd sets the FORWARD policy to DROP and br_netfilter sends bridged frames through it, so frames
 * between two ports of our bridge would be dropped. Weave adds the same rule for its bridge.
 */
function forwardRule(bridge: string): string[] {
  return [
    'FORWARD',
    '-i',
    bridge,
    '-o',
    bridge,
    '-j',
    'ACCEPT',
    '-m',
    'comment',
    '--comment',
    'xnet: bridge ports',
  ];
}

async function iptables(netns: NetnsPath, args: string[]): Promise<boolean> {
  const [file, argv] = inNetns(netns, 'iptables', ['-w', '5', ...args]);
  try {
    await run(file, argv);
    return true;
  } catch {
    return false;
  }
}

export async function allowBridgeForwarding(netns: NetnsPath, bridge: string): Promise<void> {
  if (await iptables(netns, ['-C', ...forwardRule(bridge)])) return;
  await iptables(netns, ['-I', ...forwardRule(bridge)]);
}

export async function removeBridgeForwarding(netns: NetnsPath, bridge: string): Promise<void> {
  while (await iptables(netns, ['-D', ...forwardRule(bridge)])) {
    /* delete every copy */
  }
}
