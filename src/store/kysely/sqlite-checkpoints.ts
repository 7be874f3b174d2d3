// WAL checkpoints on a thread of their own. SQLite's automatic checkpoint runs inside the
// commit that crosses 1,000 WAL pages, on the connection that commits, which here is the
// event loop: every thirty-odd logins one commit copied the WAL into the database file and
// synced both, stalling every request for several milliseconds (11 ms on average on the
// 2-core benchmark machine, 90 of 3,000 logins), while the hashing threads ran out of work.
// A worker with its own connection checkpoints instead (PASSIVE: it never waits for the
// writer or blocks it); the commit only appends to the WAL. Durability is unchanged: in WAL
// mode with synchronous=NORMAL a checkpoint syncs the WAL before copying it, whichever
// connection runs it.
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type { Database } from 'better-sqlite3';

/** How often the worker checkpoints; an up-to-date WAL costs it a few microseconds. */
const intervalMs = 200;

/**
 * WAL pages after which the writing connection checkpoints anyway: only reached when the
 * worker is gone or cannot keep up, so the WAL never grows without bound.
 */
const backstopPages = 10_000;

/** SQLite's default, restored when the worker stops unexpectedly. */
const defaultAutoCheckpointPages = 1_000;

// Plain JavaScript for `eval: true`, so it runs the same from the compiled service and
// under tsx in tests; the driver's path comes from this module's resolution.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('synchronous = NORMAL');
const timer = setInterval(() => db.pragma('wal_checkpoint(PASSIVE)'), workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  db.close();
  parentPort.close();
});
`;

export interface BackgroundCheckpoints {
  /** Stops the worker after its current checkpoint and closes its connection. */
  stop(): Promise<void>;
}

/** Moves the checkpoints of `database` (open in WAL mode on `file`) to a worker thread. */
export function checkpointInBackground(database: Database, file: string): BackgroundCheckpoints {
  database.pragma(`wal_autocheckpoint = ${backstopPages}`);
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(workerSource, { eval: true, workerData: { driver, file, intervalMs } });
  worker.unref(); // never what keeps a process alive
  let stopping = false;
  // A worker's failure (it could not open the file, say) must not throw in the service; its
  // exit, unless asked for, leaves checkpoints to the writer again.
  worker.on('error', () => undefined);
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  void exited.then(() => {
    if (!stopping && database.open) database.pragma(`wal_autocheckpoint = ${defaultAutoCheckpointPages}`);
  });
  return {
    async stop() {
      stopping = true;
      worker.ref(); // held open until its connection is closed
      worker.postMessage('stop');
      await exited;
    },
  };
}
