import { describe, expect, it } from 'vitest';
import { splashLines } from '../../src/cli/splash.js';

describe('the splash painted before Ink loads', () => {
  it('is the real header with the agent still connecting, one row short of the terminal, within its width', () => {
    const lines = splashLines('h1 (lab)', '/run/xnet/lab/h1/agent.sock', 80, 24);
    expect(lines).toHaveLength(23);
    expect(lines[0]).toBe('xnet-tui h1 (lab) | agent connecting...');
    expect(lines[2]).toContain('/run/xnet/lab/h1/agent.sock');
    for (const l of splashLines('a-very-long-host-name'.repeat(5), '/s', 40, 10))
      expect(l.length).toBeLessThanOrEqual(40);
  });
});
