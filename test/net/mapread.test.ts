import { describe, expect, it } from 'vitest';
import { MapReadFrames } from '../../src/net/mapread.js';

describe('MapReadFrames', () => {
  it("takes each command's rows up to its '.', and answers when all are in", () => {
    const f = new MapReadFrames(2);
    expect(f.read('0a000000c612000601020000 5 700 5')).toBeUndefined();
    expect(f.read('.')).toBeUndefined();
    expect(f.read('.')).toEqual({
      value: [[{ key: Buffer.from('0a000000c612000601020000', 'hex'), words: [5, 700, 5] }], []],
    });
  });

  it('reads a failed command to the end of the request, then fails with its reason', () => {
    const f = new MapReadFrames(3);
    expect(f.read('! /sys/fs/bpf/x: No such file or directory')).toBeUndefined();
    expect(f.read('03000000 1 2 3')).toBeUndefined();
    expect(f.read('.')).toBeUndefined();
    const last = f.read('.');
    expect(last && 'error' in last && last.error.message).toBe(
      'xnet-mapread: /sys/fs/bpf/x: No such file or directory',
    );
  });

  it('refuses a line that is not a row', () => {
    const f = new MapReadFrames(1);
    expect(() => f.read('key: 0a 00')).toThrow(/not one/);
    expect(() => f.read('0a0 1')).toThrow(/not one/);
  });
});
