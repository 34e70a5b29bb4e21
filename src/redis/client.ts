/** The client type every Redis-facing module takes: one server or a cluster (a leaf: imports no module of ours). */
import type { Cluster, Redis } from 'ioredis';

export type RedisClient = Redis | Cluster;
