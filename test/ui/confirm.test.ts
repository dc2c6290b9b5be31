import { describe, expect, it } from 'vitest';
import { confirmNote } from '../../src/ui/components/Header.js';
import type { RouterStatus } from '../../src/router/driver.js';

const at = Date.parse('2026-11-29T21:00:00Z');
const with_ = (confirm: RouterStatus['confirm']): RouterStatus => ({ confirm }) as RouterStatus;

describe("the header's countdown for a launch made with --confirm", () => {
  it('counts the seconds left while waiting, and says nothing otherwise', () => {
    expect(confirmNote(with_({ by: '2026-11-29T21:00:42Z', state: 'waiting' }), at)).toBe(
      ', unconfirmed: reset in 42 s (xnet-tui confirm)',
    );
    expect(confirmNote(with_({ by: '2026-11-29T20:59:00Z', state: 'waiting' }), at)).toContain(
      'reset in 0 s',
    );
    expect(confirmNote(with_({ by: '2026-11-29T21:00:42Z', state: 'confirmed' }), at)).toBe('');
    expect(confirmNote(with_(undefined), at)).toBe('');
    expect(confirmNote(undefined, at)).toBe('');
  });
});
