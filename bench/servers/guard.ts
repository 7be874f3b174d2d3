// Imported first by every benchmark child: the child stops by itself when its lifetime
// (BENCH_LIFETIME_MS) is over or when the runner goes away, so a crashed or interrupted
// run leaves no process behind. Stopping is a SIGTERM to itself, so servers shut down
// the normal way (and --cpu-prof can write its profile); a hard exit follows if needed.

function stopSelf(): void {
  process.kill(process.pid, 'SIGTERM');
  setTimeout(() => process.exit(0), 10_000).unref();
}

const lifetime = Number(process.env.BENCH_LIFETIME_MS ?? 0);
if (lifetime > 0) setTimeout(stopSelf, lifetime).unref();

if (process.channel) {
  // The IPC channel must not keep a server alive after it has closed.
  process.channel.unref();
  process.once('disconnect', stopSelf);
}

export {};
