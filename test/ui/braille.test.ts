import { describe, expect, it } from 'vitest';
import { brailleLines } from '../../src/ui/compute/braille.js';
import { levelsOf } from '../../src/ui/compute/chart.js';
import { formatPackets, rowHeight, scaleOf, splitText } from '../../src/ui/compute/traffic.js';

describe('brailleLines', () => {
  it('draws a line through the points on a braille canvas, scaled to top', () => {
    const lines = brailleLines([undefined, 0, 50, 100], 4, 2, 100);
    expect(lines).toHaveLength(2);
    expect(lines.every((l) => l.length === 4)).toBe(true);
    // The blank history column stays blank; the peak reaches the top row, zero sits on the bottom row.
    expect(lines[0]![0]).toBe(' ');
    expect(lines[0]![3]).not.toBe(' ');
    expect(lines[1]![1]).not.toBe(' ');
    expect(lines.join('')).toMatch(/^[\u2800-\u28ff ]+$/);
    expect(lines.join('')).not.toContain('\x1b');
  });
  it('keeps a 6 kB/s row flat against a 2.8 MB/s scale', () => {
    const lines = brailleLines([6000, 6000], 2, 3, 2_800_000);
    expect(lines[0]!.trim()).toBe('');
    expect(lines[2]!.trim()).not.toBe('');
  });
});

describe('Traffic figures', () => {
  const z = { packets: 0, bytes: 0 };
  const p = (tcp: number, icmp: number) => ({
    tcp: { packets: tcp, bytes: 0 },
    udp: z,
    icmp: { packets: icmp, bytes: 0 },
    arp: z,
    other: z,
  });
  it('splits by share of packets, largest first, and never rounds a protocol away', () => {
    expect(splitText(p(30, 10))).toBe('tcp 75% icmp 25%');
    expect(splitText(p(999, 1))).toBe('tcp 100% icmp <1%');
    expect(splitText(p(0, 0))).toBe('idle');
    expect(splitText({ none: 'no split (interface-counters source)' })).toBe(
      'no split (interface-counters source)',
    );
  });
  it('one scale over every series; rows get tall charts only when each has three lines', () => {
    expect(scaleOf([1, undefined, 6000], [2_800_000])).toBe(2_800_000);
    expect(rowHeight(20, 3, true)).toBe(6);
    expect(rowHeight(40, 3, true)).toBe(8);
    expect(rowHeight(8, 3, true)).toBe(1);
    expect(rowHeight(40, 3, false)).toBe(1);
    expect(formatPackets(12.4)).toBe('12 p/s');
  });
  it('a pane scale keeps 6 kB/s low next to 2.8 MB/s', () => {
    const glyphs = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    expect(levelsOf([6000], glyphs, 2_800_000)).toBe('▁');
    expect(levelsOf([6000], glyphs)).toBe('█');
  });
});
