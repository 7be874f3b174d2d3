// Work the node has started for a caller and not finished: HTTP handlers and WebSocket
// calls. A client that hangs up does not stop its request, so closing the server does not
// mean the handlers are done: the core waits for them (up to the shutdown grace) before
// it closes the store, so a late write is made rather than failing on a closed store.

export class WorkInProgress {
  private running = 0;
  private readonly idle: Array<() => void> = [];

  get size(): number {
    return this.running;
  }

  /** Counts `work` until it settles; returns it unchanged (its rejection stays the caller's). */
  track<T>(work: Promise<T>): Promise<T> {
    this.running++;
    work.then(this.finished, this.finished);
    return work;
  }

  // One function for every tracked promise: this runs on every request.
  private readonly finished = (): void => {
    if (--this.running === 0) for (const resolve of this.idle.splice(0)) resolve();
  };

  /** Resolves once nothing runs, or after `timeoutMs`; true when everything finished. */
  async drained(timeoutMs: number): Promise<boolean> {
    if (this.running === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      new Promise<true>((resolve) => this.idle.push(() => resolve(true))),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    return finished;
  }
}
