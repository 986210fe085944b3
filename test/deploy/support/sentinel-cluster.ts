import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, waitFor } from '../../support/processes';

/** Asks a Redis (or Sentinel) on a loopback port one command; undefined when it does not answer. */
async function ask(port: number, ...args: string[]): Promise<unknown> {
  const probe = new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  try {
    await probe.connect();
    return await probe.call(args[0], ...args.slice(1));
  } catch {
    return undefined;
  } finally {
    probe.disconnect();
  }
}

/**
 * A real Redis master + replica and three redis-sentinel processes (Debian's packages) on loopback ports of
 * their own, for failover tests. Sentinels decide quickly (1 s down-after) so a test sees a failover in seconds.
 */
export class SentinelCluster {
  readonly masterName = 'fgw-test-master';
  private readonly children = new Map<string, ChildProcess>();
  private readonly dir = mkdtempSync(join(tmpdir(), 'fgw-sentinel-'));

  private constructor(
    readonly redisPorts: number[],
    readonly sentinelPorts: number[],
    private readonly sentinelBin: string,
  ) {}

  static async start(sentinelBin: string): Promise<SentinelCluster> {
    const cluster = new SentinelCluster([await freePort(), await freePort()], [await freePort(), await freePort(), await freePort()], sentinelBin);
    const [master, replica] = cluster.redisPorts;
    cluster.spawnRedis(master, []);
    await waitFor(async () => (await ask(master, 'PING')) === 'PONG', { timeoutMs: 10_000 });
    cluster.spawnRedis(replica, ['--replicaof', '127.0.0.1', String(master)]);
    await waitFor(async () => String(await ask(replica, 'INFO', 'replication')).includes('master_link_status:up'), { timeoutMs: 15_000 });
    for (const port of cluster.sentinelPorts) {
      const conf = join(cluster.dir, `sentinel-${port}.conf`);
      // Sentinel rewrites its config file (it records the replicas and the other Sentinels it discovers).
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          `dir ${cluster.dir}`,
          `sentinel monitor ${cluster.masterName} 127.0.0.1 ${master} 2`,
          `sentinel down-after-milliseconds ${cluster.masterName} 1000`,
          `sentinel failover-timeout ${cluster.masterName} 5000`,
          `sentinel parallel-syncs ${cluster.masterName} 1`,
          '',
        ].join('\n'),
      );
      cluster.children.set(`sentinel-${port}`, spawn(sentinelBin, [conf], { stdio: 'ignore' }));
    }
    // Ready when every Sentinel knows the master, the replica and the two other Sentinels.
    await waitFor(
      async () => {
        for (const port of cluster.sentinelPorts) {
          const info = String(await ask(port, 'INFO', 'sentinel'));
          if (!info.includes(`address=127.0.0.1:${master},slaves=1,sentinels=3`)) return false;
        }
        return true;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    return cluster;
  }

  private spawnRedis(port: number, extra: string[]): void {
    this.children.set(
      `redis-${port}`,
      spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, ...extra], {
        stdio: 'ignore',
      }),
    );
  }

  /** REDIS_SENTINELS for the app. */
  get sentinels(): string {
    return this.sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',');
  }

  /** The master's port as the Sentinels see it now (undefined while they disagree or cannot be asked). */
  async currentMasterPort(): Promise<number | undefined> {
    const answers = await Promise.all(this.sentinelPorts.map((p) => ask(p, 'SENTINEL', 'GET-MASTER-ADDR-BY-NAME', this.masterName)));
    const ports = new Set(answers.map((a) => (Array.isArray(a) ? Number(a[1]) : undefined)));
    return ports.size === 1 ? [...ports][0] : undefined;
  }

  /** SIGKILLs the Redis on `port` (no shutdown, no last save: a crash). */
  async kill(port: number): Promise<void> {
    const child = this.children.get(`redis-${port}`);
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /**
   * Starts a Redis again on a port whose process was killed, as a restarted pod would; the Sentinels turn it
   * into a replica of the current master.
   */
  async restart(port: number): Promise<void> {
    this.spawnRedis(port, []);
    await waitFor(async () => String(await ask(port, 'INFO', 'replication')).includes('master_link_status:up'), {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
  }

  async stop(): Promise<void> {
    await Promise.all(
      [...this.children.values()].map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }),
    );
    rmSync(this.dir, { recursive: true, force: true });
  }
}
