// Polling for conditions that become true asynchronously (a message crossing the bus, a
// reconnect): resolves as soon as the condition holds, fails with a message after a timeout.

export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 5000, everyMs = 10): Promise<number> {
  const started = performance.now();
  for (;;) {
    if (await condition()) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
