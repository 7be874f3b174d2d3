// A counting semaphore: at most `limit` tasks run at once, the rest wait in FIFO order.
// Used to keep password hashing from occupying every thread during a login storm. The
// limit may be a function (read at every admission), so it can follow the node's load.

export class ConcurrencyLimiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly limit: number | (() => number)) {}

  get queued(): number {
    return this.waiting.length;
  }

  get active(): number {
    return this.running;
  }

  private get current(): number {
    return typeof this.limit === 'number' ? this.limit : this.limit();
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.current) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.running++;
    try {
      return await task();
    } finally {
      // Hand the slot over directly (`running` stays the same), unless the limit has
      // dropped below what runs: then the slot is given up.
      const next = this.running <= this.current ? this.waiting.shift() : undefined;
      if (next) next();
      else this.running--;
    }
  }

  /** Starts waiting tasks the limit now has room for: call it after the limit went up. */
  admit(): void {
    while (this.waiting.length > 0 && this.running < this.current) {
      this.running++;
      this.waiting.shift()!();
    }
  }
}
