import { Inject, Injectable } from '@nestjs/common';
import { Redis } from 'ioredis';
import { UPLOAD_PRIORITIES, type UploadPriority } from './upload-job.schema';

/** Outcome of an atomic admission. */
export type AdmitResult = 'admitted' | 'client-full' | 'buffer-full';

const NS = 'uploads:';

// Admission: both caps checked and the job recorded in one step, so concurrent
// requests (any number of API replicas) can never push a client past its cap.
const ADMIT = `
if redis.call('SCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 1 end
if redis.call('SCARD', KEYS[2]) >= tonumber(ARGV[3]) then return 2 end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('RPUSH', KEYS[3], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[4])
redis.call('HSET', KEYS[5], ARGV[4], ARGV[5])
redis.call('SADD', KEYS[6], ARGV[4])
return 0
`;

// Smooth weighted round-robin (the nginx algorithm) over clients with queued
// jobs: each pick adds every client's weight to its credit, takes the client
// with the most credit and charges it the total. Over any window a client gets
// picks in proportion to its weight, and picks are spread out, not bunched.
// Within the chosen client, the highest priority lane is served first. The job
// id moves to the 'dispatching' set in the same step, so a dispatcher that dies
// before handing it to Bull loses nothing (the next tick re-sends it).
const POP = `
local prefix = ARGV[1]
local prios = {'high', 'normal', 'low'}
for _ = 1, 1000 do
  local clients = redis.call('SMEMBERS', KEYS[1])
  if #clients == 0 then return nil end
  table.sort(clients)
  local total, best, bestCredit = 0, nil, nil
  for _, c in ipairs(clients) do
    local w = tonumber(redis.call('HGET', KEYS[2], c) or '1') or 1
    local credit = redis.call('HINCRBY', KEYS[3], c, w)
    total = total + w
    if bestCredit == nil or credit > bestCredit then best, bestCredit = c, credit end
  end
  redis.call('HINCRBY', KEYS[3], best, -total)
  local id = nil
  for _, p in ipairs(prios) do
    id = redis.call('LPOP', prefix .. 'lane:' .. best .. ':' .. p)
    if id then break end
  end
  local left = 0
  for _, p in ipairs(prios) do left = left + redis.call('LLEN', prefix .. 'lane:' .. best .. ':' .. p) end
  if left == 0 then
    redis.call('SREM', KEYS[1], best)
    redis.call('HDEL', KEYS[3], best)
  end
  if id then
    redis.call('ZADD', KEYS[4], ARGV[2], id)
    return {best, id}
  end
end
return nil
`;

// Takes a queued job out of its lane (cancel, expiry). Returns 1 when it was still there.
const UNQUEUE = `
local removed = redis.call('LREM', KEYS[1], 0, ARGV[1])
local prefix = ARGV[2]
local left = 0
for _, p in ipairs({'high', 'normal', 'low'}) do left = left + redis.call('LLEN', prefix .. 'lane:' .. ARGV[3] .. ':' .. p) end
if left == 0 then
  redis.call('SREM', KEYS[2], ARGV[3])
  redis.call('HDEL', KEYS[3], ARGV[3])
end
return removed
`;

// A job reached a final state: it no longer counts against any cap. Idempotent.
const FINISH = `
redis.call('SREM', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
if redis.call('SCARD', KEYS[1]) == 0 then redis.call('SREM', KEYS[4], ARGV[2]) end
return 1
`;

// Puts back a job MongoDB holds as unfinished but Redis has forgotten (all Redis data lost): no cap check, since
// the job was accepted long ago. Does nothing when the job is still pending. Keeps a known client weight.
const READMIT = `
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 0 end
redis.call('SADD', KEYS[1], ARGV[1])
redis.call('SADD', KEYS[2], ARGV[1])
redis.call('RPUSH', KEYS[3], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[2])
redis.call('HSETNX', KEYS[5], ARGV[2], 1)
redis.call('SADD', KEYS[6], ARGV[2])
return 1
`;

/**
 * Adapter over the Redis structures of the fair scheduler (docs/queue.md):
 * per-client priority lanes, the pending sets the caps count, client weights
 * and WRR credits, and the dispatching set. Every multi-key change is one Lua
 * script, so API replicas and dispatcher replicas never see a half-done step.
 */
@Injectable()
export class UploadLanesStore {
  private readonly prefix: string;

  constructor(@Inject(Redis) private readonly redis: Redis) {
    // Lua builds lane names itself, so it needs the client's key prefix (ioredis only prefixes KEYS).
    this.prefix = `${redis.options.keyPrefix ?? ''}${NS}`;
  }

  private lane(clientId: string, priority: UploadPriority): string {
    return `${NS}lane:${clientId}:${priority}`;
  }

  private pendingOf(clientId: string): string {
    return `${NS}pending:${clientId}`;
  }

  /** The six keys ADMIT and READMIT both touch, in their KEYS order. */
  private admissionKeys(clientId: string, priority: UploadPriority): string[] {
    return [this.pendingOf(clientId), `${NS}pending`, this.lane(clientId, priority), `${NS}active`, `${NS}weights`, `${NS}pending-clients`];
  }

  /** Pending (accepted, unfinished) jobs of one client and of everyone. */
  async counts(clientId: string): Promise<{ client: number; total: number }> {
    const [client, total] = await Promise.all([this.redis.scard(this.pendingOf(clientId)), this.redis.scard(`${NS}pending`)]);
    return { client, total };
  }

  /** Atomically checks both caps and queues the job in its client's lane. */
  async admit(jobId: string, clientId: string, priority: UploadPriority, weight: number, caps: { client: number; total: number }): Promise<AdmitResult> {
    const r = (await this.redis.eval(ADMIT, 6, ...this.admissionKeys(clientId, priority), jobId, caps.client, caps.total, clientId, weight)) as number;
    return r === 0 ? 'admitted' : r === 1 ? 'client-full' : 'buffer-full';
  }

  /**
   * Queues again the jobs Redis no longer counts as pending, in one round trip; returns those it queued (a job
   * still pending is left as it is).
   */
  async readmit<J extends { job_id: string; client_id: string; priority: UploadPriority }>(jobs: readonly J[]): Promise<J[]> {
    if (jobs.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const job of jobs) pipeline.eval(READMIT, 6, ...this.admissionKeys(job.client_id, job.priority), job.job_id, job.client_id);
    const results = (await pipeline.exec()) ?? [];
    return jobs.filter((_, i) => {
      const [error, queued] = results[i] ?? [new Error('no reply')];
      if (error) throw error;
      return queued === 1;
    });
  }

  /** The next job in WRR order, moved to the dispatching set; null when every lane is empty. */
  async pop(now = Date.now()): Promise<{ clientId: string; jobId: string } | null> {
    const r = (await this.redis.eval(POP, 4, `${NS}active`, `${NS}weights`, `${NS}wrr`, `${NS}dispatching`, this.prefix, now)) as
      | [string, string]
      | null;
    return r ? { clientId: r[0], jobId: r[1] } : null;
  }

  /** The job is in Bull now. */
  async dispatched(jobId: string): Promise<void> {
    await this.redis.zrem(`${NS}dispatching`, jobId);
  }

  /** Jobs popped more than `olderThanMs` ago but never confirmed as handed to Bull. */
  async stuckDispatches(olderThanMs: number, now = Date.now()): Promise<string[]> {
    return this.redis.zrangebyscore(`${NS}dispatching`, '-inf', now - olderThanMs, 'LIMIT', 0, 100);
  }

  /** Removes a queued job from its lane; true when it was still waiting there. */
  async unqueue(jobId: string, clientId: string, priority: UploadPriority): Promise<boolean> {
    const r = (await this.redis.eval(UNQUEUE, 3, this.lane(clientId, priority), `${NS}active`, `${NS}wrr`, jobId, this.prefix, clientId)) as number;
    return r > 0;
  }

  /** The job no longer counts as pending. Safe to repeat. */
  async finish(jobId: string, clientId: string): Promise<void> {
    await this.redis.eval(FINISH, 4, this.pendingOf(clientId), `${NS}pending`, `${NS}dispatching`, `${NS}pending-clients`, jobId, clientId);
  }

  /** Pending jobs per client, for the depth gauge (clients with at least one). */
  async depths(): Promise<Map<string, number>> {
    const clients = await this.redis.smembers(`${NS}pending-clients`);
    if (clients.length === 0) return new Map();
    const pipeline = this.redis.pipeline();
    for (const c of clients) pipeline.scard(this.pendingOf(c));
    const results = (await pipeline.exec()) ?? [];
    return new Map(clients.map((c, i) => [c, Number(results[i]?.[1] ?? 0)]));
  }

  /** Clients with at least one pending job (for reconciliation against MongoDB). */
  pendingClients(): Promise<string[]> {
    return this.redis.smembers(`${NS}pending-clients`);
  }

  /** One SSCAN step over a client's pending set: up to about `count` ids and the next cursor ('0' at the end). */
  async scanPending(clientId: string, cursor: string, count: number): Promise<{ cursor: string; jobIds: string[] }> {
    const [next, jobIds] = await this.redis.sscan(this.pendingOf(clientId), cursor, 'COUNT', count);
    return { cursor: next, jobIds };
  }

  /** Jobs waiting in lanes (all clients, all priorities). */
  async queuedTotal(): Promise<number> {
    const clients = await this.redis.smembers(`${NS}active`);
    let n = 0;
    for (const c of clients) for (const p of UPLOAD_PRIORITIES) n += await this.redis.llen(this.lane(c, p));
    return n;
  }
}
