// How busy this node's event loop has been lately, from Node's event-loop utilisation
// sampled every `intervalMs`. Password hashing asks it whether validation is waiting: a
// loop that is mostly idle has no requests queued, so hashing may take every core.
import { performance, type EventLoopUtilization } from 'node:perf_hooks';

export class EventLoopLoad {
  private last: EventLoopUtilization = performance.eventLoopUtilization();
  private utilization = 0;
  private readonly timer: NodeJS.Timeout;

  /**
   * @param quietBelow utilisation (0–1) under which the loop counts as quiet
   * @param onSample called after each sample, so a waiting queue can use room just made
   */
  constructor(
    private readonly quietBelow: number,
    onSample: () => void,
    intervalMs = 100,
  ) {
    this.timer = setInterval(() => {
      const now = performance.eventLoopUtilization();
      this.utilization = performance.eventLoopUtilization(now, this.last).utilization;
      this.last = now;
      onSample();
    }, intervalMs);
    this.timer.unref(); // never what keeps a process alive
  }

  /** True while the last sampled interval kept the loop busy less than `quietBelow`. */
  get quiet(): boolean {
    return this.utilization < this.quietBelow;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
