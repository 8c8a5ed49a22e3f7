/**
 * A dedicated LISTEN connection that says when it is subscribed and when it is not. postgres.js's own `sql.listen`
 * re-subscribes after a drop but tells nobody, and gives up for good if the server is still down at that moment;
 * a cache that relies on notifications must know both, so this keeps its own one-connection client and retries.
 * On PGlite (one process, one connection) the subscription cannot drop: `pg.listen` is used as is.
 */
import type { PGlite } from "@electric-sql/pglite";
import { describeErrorForLog } from "./log.ts";

export interface ListenerHandlers {
  onNotify: (payload: string) => void;
  /** Subscribed (again): notifications from now on arrive. Anything sent while down was missed. */
  onUp: () => void;
  /** The connection is gone: notifications may be missed until the next `onUp`. */
  onDown: (reason: string) => void;
}

export interface NotificationListener {
  /** Drops the connection on purpose (tests, a sync that never came back): `onDown`, then reconnects by itself. */
  reconnect: () => Promise<void>;
  /** The backend pid of the LISTEN connection (tests terminate it), null when down or on PGlite. */
  backendPid: () => number | null;
  close: () => Promise<void>;
}

const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 2000;

export async function listenOnPostgres(url: string, channel: string, handlers: ListenerHandlers): Promise<NotificationListener> {
  const { default: postgres } = await import("postgres");
  let closed = false;
  let up = false;
  let pid: number | null = null;
  let subscribing: Promise<void> | null = null;
  let delay = RETRY_MIN_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const markDown = (reason: string) => {
    pid = null;
    if (!up) return;
    up = false;
    handlers.onDown(reason);
  };

  // postgres.js calls `onnotify(channel, payload)` for every NOTIFY on the connection; its types leave it out.
  const onnotify = (name: string, payload: string) => {
    if (name === channel && up) handlers.onNotify(payload);
  };
  const sql = postgres(url, {
    ...({ onnotify } as object),
    max: 1,
    idle_timeout: 0,
    max_lifetime: null,
    fetch_types: false,
    connect_timeout: 5,
    onnotice: () => {},
    connection: { application_name: "latchkey_listener" },
    onclose: () => {
      if (closed) return;
      markDown("connection closed");
      scheduleSubscribe();
    },
  });

  const subscribe = async () => {
    try {
      await sql.unsafe(`listen "${channel.replace(/"/g, '""')}"`);
      const [row] = await sql.unsafe<{ pid: number }[]>("select pg_backend_pid() as pid");
      if (closed) return;
      pid = row?.pid ?? null;
      delay = RETRY_MIN_MS;
      up = true;
      handlers.onUp();
    } catch (error) {
      if (closed) return;
      markDown(describeErrorForLog(error));
    }
  };

  const start = () => {
    subscribing = subscribe().finally(() => {
      subscribing = null;
      if (!up && !closed) scheduleSubscribe();
    });
    return subscribing;
  };

  function scheduleSubscribe() {
    if (closed || subscribing || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void start();
    }, delay);
    timer.unref?.();
    delay = Math.min(delay * 2, RETRY_MAX_MS);
  }

  await start();

  return {
    reconnect: async () => {
      markDown("reconnect requested");
      // Ending the connection fires onclose, which schedules the new subscription. A hung connection may not answer:
      // the listener is already marked down, so waiting longer than a second gains nothing.
      const ended = sql.unsafe("select pg_terminate_backend(pg_backend_pid())").catch(() => undefined);
      await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 1000).unref?.())]);
    },
    backendPid: () => pid,
    close: async () => {
      closed = true;
      clearTimeout(timer);
      up = false;
      await sql.end({ timeout: 1 });
    },
  };
}

export async function listenOnPglite(client: PGlite, channel: string, handlers: ListenerHandlers): Promise<NotificationListener> {
  const unlisten = await client.listen(channel, handlers.onNotify);
  handlers.onUp();
  return {
    reconnect: async () => {
      handlers.onDown("reconnect requested");
      handlers.onUp();
    },
    backendPid: () => null,
    close: async () => {
      await unlisten();
    },
  };
}
