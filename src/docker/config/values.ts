// An option's value: parsed from what an operator types, checked against its kind (a CIDR, a bool, an MTU,
// sockets, pools), written back as text or flags. Pure; split from options.ts, the table it reads kinds from.
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { badInput } from '../../errors.js';
import { AddressPool, type OptionValue } from '../../api/dockerd-values.js';
import { OPTIONS, type OptionKey } from './options.js';

function parseBool(key: string, text: string): boolean {
  if (/^(true|1|yes|on)$/i.test(text)) return true;
  if (/^(false|0|no|off)$/i.test(text)) return false;
  throw badInput(key, `${key}=${text}: "${text}" is not true or false`, `example: ${key}=false`);
}

function checkCidr4(key: string, text: string, hostAddress: boolean): void {
  const example = key === 'bip' ? '172.25.11.1/24' : '172.25.11.0/25';
  const m = /^([^/]+)\/(\d{1,2})$/.exec(text);
  if (!m || !ipaddr.IPv4.isValidFourPartDecimal(m[1]!) || Number(m[2]) > 32) {
    throw badInput(
      key,
      `${key}=${text}: "${text}" is not an IPv4 CIDR`,
      `write ADDRESS/PREFIX, for example ${key}=${example}`,
    );
  }
  const prefix = Number(m[2]);
  if (hostAddress) {
    const network = ipaddr.IPv4.networkAddressFromCIDR(text).toString();
    if (prefix > 30 || ipaddr.IPv4.parse(m[1]!).toString() === network) {
      throw badInput(
        key,
        `${key}=${text}: bip is the bridge's own address, so it must be a host address in a /30 or wider`,
        `for example ${key}=172.25.11.1/24`,
      );
    }
  }
}

function checkCidr6(key: string, text: string): void {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m || !ipaddr.IPv6.isValid(m[1]!) || Number(m[2]) > 128) {
    throw badInput(
      key,
      `${key}=${text}: "${text}" is not an IPv6 CIDR`,
      `for example ${key}=fd00:25:11::/64`,
    );
  }
}

const HOST_RE = /^(unix:\/\/\/?.+|fd:\/\/.*|tcp:\/\/[^/]*|npipe:\/\/.+|ssh:\/\/.+)$/;

function checkPools(key: string, pools: AddressPool[]): void {
  for (const p of pools) {
    checkCidr4(key, p.base, false);
    const prefix = Number(p.base.split('/')[1]);
    if (p.size < prefix || p.size > 30)
      throw badInput(
        key,
        `${key}: size ${p.size} for ${p.base} must be between /${prefix} and /30`,
        `for example ${key}=10.10.0.0/16:24`,
      );
  }
}

/**
 * Checks a value's shape for its option (a malformed CIDR, a bool that is not one, an MTU out of range) and
 * returns it normalised. Throws a bad-input error that names the key.
 */
export function checkValue(key: OptionKey, value: unknown): OptionValue {
  const spec = OPTIONS[key];
  const wrongType = (want: string): never => {
    throw badInput(
      key,
      `${key}: ${JSON.stringify(value)} is not ${want}`,
      `see \`xnet-tui dockerd set --help\``,
    );
  };
  switch (spec.kind) {
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'string') return parseBool(key, value);
      return wrongType('true or false');
    case 'int': {
      const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
      if (typeof n !== 'number' || !Number.isInteger(n)) return wrongType('a whole number');
      if (n < 68 || n > 65535)
        throw badInput(key, `${key}=${n} is out of range`, 'an MTU is between 68 and 65535; 1500 is usual');
      return n;
    }
    case 'string':
      if (typeof value !== 'string') return wrongType('a name');
      if (!/^[A-Za-z0-9_.:-]{1,15}$/.test(value))
        throw badInput(
          key,
          `${key}=${value}: "${value}" is not an interface name`,
          'an interface name is 1-15 letters, digits, ".", "-", "_", for example bridge=br0',
        );
      return value;
    case 'cidr4':
    case 'address-cidr':
      if (typeof value !== 'string') return wrongType('a CIDR');
      checkCidr4(key, value, spec.kind === 'address-cidr');
      return value;
    case 'cidr6':
      if (typeof value !== 'string') return wrongType('an IPv6 CIDR');
      checkCidr6(key, value);
      return value;
    case 'hosts': {
      const list = Array.isArray(value)
        ? value
        : typeof value === 'string'
          ? splitList(value)
          : wrongType('a list');
      if (list.length === 0)
        throw badInput(key, `${key} is empty`, 'unset it instead to use the default socket');
      for (const h of list)
        if (typeof h !== 'string' || !HOST_RE.test(h))
          throw badInput(
            key,
            `${key}: "${String(h)}" is not a socket address`,
            'write unix:///var/run/docker.sock, fd://, or tcp://ADDRESS:2376',
          );
      return list as string[];
    }
    case 'pools': {
      const pools = Array.isArray(value)
        ? value
        : typeof value === 'string'
          ? parsePools(key, value)
          : wrongType('a list');
      const parsed = z.array(AddressPool).safeParse(pools);
      if (!parsed.success || parsed.data.length === 0)
        throw badInput(
          key,
          `${key}: ${JSON.stringify(value)} is not a list of pools`,
          `for example ${key}=10.10.0.0/16:24`,
        );
      checkPools(key, parsed.data);
      return parsed.data;
    }
  }
}

function splitList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `10.10.0.0/16:24,10.20.0.0/16:24`, or the flag's `base=10.10.0.0/16,size=24`, or JSON. */
function parsePools(key: string, text: string): AddressPool[] {
  const t = text.trim();
  if (t.startsWith('[')) {
    try {
      return JSON.parse(t) as AddressPool[];
    } catch {
      throw badInput(key, `${key}: not JSON`, `for example ${key}=10.10.0.0/16:24`);
    }
  }
  if (t.includes('base=')) return [parsePoolFlag(key, t)];
  return splitList(t).map((item) => {
    const [base, size] = item.split(':');
    if (!base || !size || !/^\d+$/.test(size))
      throw badInput(key, `${key}: "${item}" is not BASE/PREFIX:SIZE`, `for example ${key}=10.10.0.0/16:24`);
    return { base, size: Number(size) };
  });
}

/** The flag form, `base=10.10.0.0/16,size=24`. */
export function parsePoolFlag(key: string, text: string): AddressPool {
  const fields = Object.fromEntries(text.split(',').map((kv) => kv.split('=') as [string, string]));
  if (!fields.base || !fields.size || !/^\d+$/.test(fields.size))
    throw badInput(key, `${key}: "${text}" is not base=CIDR,size=N`, 'for example base=10.10.0.0/16,size=24');
  return { base: fields.base, size: Number(fields.size) };
}

/** A value as an operator reads it. */
export function formatValue(value: OptionValue | undefined): string {
  if (value === undefined) return '';
  if (Array.isArray(value))
    return value.map((v) => (typeof v === 'string' ? v : `${v.base}:${v.size}`)).join(',');
  return String(value);
}

/** The flag arguments that set `value` (`--bip=172.25.11.1/24`, `--host=fd://`...). */
export function flagArgs(key: OptionKey, value: OptionValue): string[] {
  const spec = OPTIONS[key];
  if (Array.isArray(value))
    return value.map((v) => `--${spec.flag}=${typeof v === 'string' ? v : `base=${v.base},size=${v.size}`}`);
  return [`--${spec.flag}=${String(value)}`];
}
