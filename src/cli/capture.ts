import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { Params, Result } from '../api/index.js';
import { badInput } from '../errors.js';
import { emit } from './output.js';
import { globals, withAgent } from './target.js';

/** `capture CONTAINER` or `capture peer NAME`, and the options, as the agent's `capture` params. Pure. */
export function captureParams(
  words: string[],
  o: { filter?: string; count: string; seconds: string; write?: string },
  cwd: string,
): Params<'capture'> {
  const hint = 'e.g. xnet-tui capture web, or xnet-tui capture peer two';
  const whole = (text: string, field: string, max: number): number => {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < 1 || n > max)
      throw badInput(
        field,
        `--${field} ${text} is not a whole number from 1 to ${max}`,
        `e.g. --${field} 10`,
      );
    return n;
  };
  let target: { container: string } | { peer: string };
  if (words.length === 1 && words[0] !== 'peer') target = { container: words[0]! };
  else if (words.length === 2 && words[0] === 'peer') target = { peer: words[1]! };
  else throw badInput('target', `"${words.join(' ')}" names no container or peer`, hint);
  return {
    ...target,
    count: whole(o.count, 'count', 10_000),
    seconds: whole(o.seconds, 'seconds', 300),
    ...(o.filter !== undefined ? { filter: o.filter } : {}),
    ...(o.write !== undefined ? { write: resolve(cwd, o.write) } : {}),
  };
}

export function captureText(r: Result<'capture'>): string {
  const lines = r.packets.map((p) => `${new Date(p.t).toISOString().slice(11, 23)}  ${p.summary}`);
  lines.push(
    `${r.captured} packets on ${r.interface} (${r.target}), filter "${r.filter}", not promiscuous; ` +
      `libpcap: ${r.received} received, ${r.dropped} dropped${r.written ? `; written to ${r.written}` : ''}`,
  );
  return lines.join('\n');
}

export function registerCapture(program: Command): void {
  program
    .command('capture')
    .description(
      'look at packets of one attached container (its veth) or one peer (its tunnel packets on the underlay), on demand',
    )
    .argument('<target...>', 'CONTAINER, or: peer NAME (nickname or address)')
    .option('--filter <bpf>', 'a pcap-filter(7) expression, applied in the kernel')
    .option('--count <n>', 'stop after this many packets, 1-10000', '20')
    .option('--seconds <n>', 'stop after this long, 1-300', '10')
    .option('-w, --write <file>', 'write the packets to a pcap file (tcpdump -r, Wireshark)')
    .addHelpText(
      'after',
      '\nExamples:\n  xnet-tui capture web --filter icmp --count 5\n  xnet-tui --lab h1 capture peer two -w /tmp/two.pcap\n',
    )
    .action(
      async (
        words: string[],
        o: { filter?: string; count: string; seconds: string; write?: string },
        cmd: Command,
      ) => {
        const params = captureParams(words, o, process.cwd());
        const r = await withAgent(cmd, (a) => a.call('capture', params));
        emit(globals(cmd), r, captureText);
      },
    );
}
