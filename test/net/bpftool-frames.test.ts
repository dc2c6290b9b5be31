import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BatchFrames, checkBatchLine, type BatchResult } from '../../src/net/bpftool-frames.js';
import type { Answer } from '../../src/net/long-lived.js';

// What bpftool v7.1.0 printed for `stdbuf -oL bpftool -j -p batch file -` given: update, delete, dump of an
// empty map, version, lookup, dump, and a delete of a key that is not there (the pin directory renamed).
const lines = readFileSync(join(import.meta.dirname, 'fixtures', 'bpftool-batch-pretty.txt'), 'utf8')
  .split('\n')
  .slice(0, -1);

/** Feeds lines to requests of these sizes in turn, as LongLivedChild does: each answer and the lines it took. */
function answers(sizes: number[]): { answer: Answer<BatchResult[]>; at: number }[] {
  const out: { answer: Answer<BatchResult[]>; at: number }[] = [];
  let frames = new BatchFrames(sizes[0]!);
  lines.forEach((line, at) => {
    if (out.length === sizes.length) return;
    const a = frames.read(line);
    if (!a) return;
    out.push({ answer: a, at });
    if (sizes[out.length]) frames = new BatchFrames(sizes[out.length]!);
  });
  return out;
}

describe('BatchFrames: each command of a long-lived bpftool -j -p batch, as soon as its output is complete', () => {
  it("answers a write at its `null`, before the object's closing line (printed only with the next command)", () => {
    const [first] = answers([1]);
    expect(first!.answer).toEqual({
      value: [
        {
          command: [
            'map',
            'update',
            'pinned',
            '/sys/fs/bpf/t/m',
            'key',
            '3',
            '0',
            '0',
            '0',
            'value',
            '4',
            '0',
            '0',
            '0',
          ],
          output: null,
        },
      ],
    });
    expect(lines[first!.at]).toBe('        "output": null');
    expect(lines[first!.at + 1]).toBe('    },{');
  });

  it('splits the stream into requests of several commands, with one-line, object and list outputs', () => {
    const got = answers([2, 2, 2]);
    expect(
      got.map((g) =>
        g.answer && 'value' in g.answer ? g.answer.value.map((r) => r.command[1] ?? r.command[0]) : g.answer,
      ),
    ).toEqual([
      ['update', 'delete'],
      ['dump', 'version'],
      ['lookup', 'dump'],
    ]);
    const values = got.map((g) => (g.answer as { value: BatchResult[] }).value);
    expect(values[1]![0]!.output).toEqual([]);
    expect((values[1]![1]!.output as { version: string }).version).toBe('7.1.0');
    expect(values[2]![0]!.output).toEqual({
      key: ['0x01', '0x00', '0x00', '0x00'],
      value: ['0x02', '0x00', '0x00', '0x00'],
    });
    expect(values[2]![1]!.output).toEqual([
      { key: ['0x01', '0x00', '0x00', '0x00'], value: ['0x02', '0x00', '0x00', '0x00'] },
    ]);
    // The lookup's answer is complete at its output's closing line, not at the next command's start.
    expect(lines[got[2]!.at]).toBe('        ]');
  });

  it("fails the request at the failing command, with bpftool's reason and the command", () => {
    const got = answers([6, 1]);
    expect('value' in got[0]!.answer!).toBe(true);
    const failed = got[1]!.answer as { error: Error & { kind?: string } };
    expect(failed.error.message).toMatch(
      /^bpftool map delete pinned \/sys\/fs\/bpf\/t\/m key 9 0 0 0: delete failed: No such file/,
    );
    expect(failed.error.kind).toBe('failed');
  });

  it('waits while a command is still running (its output is not complete)', () => {
    const f = new BatchFrames(1);
    for (const l of [
      '[{',
      '        "command": ["map","dump","pinned","/x"',
      '        ],',
      '        "output": [{',
      '                "key": ["0x01"',
    ])
      expect(f.read(l)).toBeUndefined();
  });

  it('refuses lines bpftool would not answer one-for-one', () => {
    expect(() => checkBatchLine('map dump pinned /x\nmap dump pinned /y')).toThrow(
      /not a bpftool batch line/,
    );
    expect(() => checkBatchLine('  ')).toThrow(/not a bpftool batch line/);
    expect(() => checkBatchLine('# a comment')).toThrow(/not a bpftool batch line/);
    expect(() => checkBatchLine('map dump pinned /x')).not.toThrow();
  });
});
