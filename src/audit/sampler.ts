// Keeps a flood of one kind of event from becoming a flood of audit rows: per key (a client
// address), at most `perWindow` rows a window; the rest are counted, and the next row
// written for that key carries how many were left out. In memory and bounded.

export interface SampleDecision {
  /** Whether this occurrence gets an audit row. */
  record: boolean;
  /** Occurrences left unrecorded for this key since its last row (reported on this row). */
  suppressed: number;
}

interface KeyWindow {
  startedAt: number;
  recorded: number;
  suppressed: number;
}

export class AuditSampler {
  private readonly windows = new Map<string, KeyWindow>();

  constructor(
    private readonly perWindow = 10,
    private readonly windowMs = 60_000,
    private readonly maxKeys = 10_000,
  ) {}

  admit(key: string, now: number): SampleDecision {
    let window = this.windows.get(key);
    if (window === undefined || now - window.startedAt >= this.windowMs) {
      window = { startedAt: now, recorded: 0, suppressed: window?.suppressed ?? 0 };
    }
    this.windows.delete(key); // re-inserted at the young end; the oldest key goes first
    this.windows.set(key, window);
    if (this.windows.size > this.maxKeys) this.windows.delete(this.windows.keys().next().value as string);
    if (window.recorded >= this.perWindow) {
      window.suppressed++;
      return { record: false, suppressed: window.suppressed };
    }
    window.recorded++;
    const suppressed = window.suppressed;
    window.suppressed = 0;
    return { record: true, suppressed };
  }
}
