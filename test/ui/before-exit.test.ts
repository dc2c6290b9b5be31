import { describe, expect, it } from 'vitest';
import { BeforeExit } from '../../src/ui/before-exit.js';

describe('what must reach the agent before the UI exits', () => {
  it('runs every task at once and waits for them; a removed task does not run', async () => {
    const b = new BeforeExit();
    const ran: string[] = [];
    b.add(async () => {
      await new Promise((r) => setTimeout(r, 20));
      ran.push('capture closed');
    });
    const remove = b.add(async () => void ran.push('gone'));
    remove();
    await b.run();
    expect(ran).toEqual(['capture closed']);
  });

  it('an agent that does not answer holds the exit no longer than the limit, and a failed task none', async () => {
    const b = new BeforeExit();
    b.add(() => new Promise<void>(() => undefined));
    b.add(async () => {
      throw new Error('the agent closed the connection');
    });
    const start = Date.now();
    await b.run(100);
    expect(Date.now() - start).toBeLessThan(1_000);
  });
});
