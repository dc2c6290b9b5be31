import ipaddr from 'ipaddr.js';
import { badInput } from '../errors.js';

// Pure, apart from the agent's handlers: the TUI's add-check dialog validates a target as it is typed with
// the same rule the agent applies.

/** An IPv4 or IPv6 address; an IPv6 link-local one may carry its interface (`fe80::1%ethwe`). */
export function parseTarget(text: string): string {
  const [addr, scope, ...rest] = text.split('%');
  const hint = 'give an IP address, e.g. 172.25.11.24 or fe80::1%ethwe';
  if (
    !addr ||
    rest.length > 0 ||
    !ipaddr.isValid(addr) ||
    (addr.includes('.') && !ipaddr.IPv4.isValidFourPartDecimal(addr))
  )
    throw badInput('target', `"${text}" is not an IP address`, hint);
  const ip = ipaddr.parse(addr);
  if (
    scope !== undefined &&
    (ip.kind() !== 'ipv6' || ip.range() !== 'linkLocal' || !/^[\w.-]{1,15}$/.test(scope))
  )
    throw badInput('target', `"${text}": only an IPv6 link-local address takes %INTERFACE`, hint);
  if (ip.range() === 'unspecified') throw badInput('target', `"${text}" is the unspecified address`, hint);
  return text;
}
