// A first launch the operator must confirm ("commit confirmed"): the countdown, and how status shows it.
import type { RouterStatus } from '../router/driver.js';

export class LaunchConfirm {
  /** Unconfirmed by `at`, the launch is reset. */
  #pending: { timer: NodeJS.Timeout; at: Date; state: 'waiting' | 'confirmed' | 'expired' } | undefined;

  constructor(
    private readonly d: {
      /** What the launch is undone with (the driver puts the host back as it was). */
      reset: () => Promise<unknown>;
      /** The status shows the countdown's state: read it anew. */
      invalidate: () => void;
      log: (msg: string) => void;
    },
  ) {}

  /** Arms the countdown: unconfirmed, the launch is reset (the driver puts the host back as it was). */
  arm(seconds: number): void {
    clearTimeout(this.#pending?.timer);
    const timer = setTimeout(() => {
      if (this.#pending) this.#pending.state = 'expired';
      this.d.invalidate();
      this.d.log(`launch not confirmed within ${seconds} s: resetting`);
      void this.d
        .reset()
        .catch((err: Error) => this.d.log(`unconfirmed launch reset failed: ${err.message}`));
    }, seconds * 1000);
    this.#pending = { timer, at: new Date(Date.now() + seconds * 1000), state: 'waiting' };
  }

  /** The operator keeps the launch; false when nothing was waiting (or it is too late). */
  confirm(): boolean {
    const pending = this.#pending;
    if (pending?.state !== 'waiting') return false;
    clearTimeout(pending.timer);
    pending.state = 'confirmed';
    this.d.invalidate();
    return true;
  }

  /** A reset: nothing is waiting any more. */
  cancel(): void {
    clearTimeout(this.#pending?.timer);
    this.#pending = undefined;
  }

  /** What the router's status says of it, if a launch waited for confirmation. */
  status(): Pick<RouterStatus, 'confirm'> {
    return this.#pending
      ? { confirm: { by: this.#pending.at.toISOString(), state: this.#pending.state } }
      : {};
  }
}
