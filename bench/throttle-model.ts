/**
 * The throttling layer's model (bench/dynamo-throttle.ts): DynamoDB's per-partition limits, the
 * token bucket that holds a partition to them, and the counters the proxy keeps.
 */

export interface ThrottleLimits {
  writeUnitsPerSecond: number;
  readUnitsPerSecond: number;
  /** Control-plane calls (DescribeTable, CreateTable …) a second, all tables together. */
  controlPlanePerSecond: number;
  /** How many seconds of unused units a partition may bank (DynamoDB's burst, simplified). */
  burstSeconds: number;
}

/** DynamoDB's documented per-partition-key maxima. */
export const DYNAMODB_PARTITION_LIMITS: ThrottleLimits = { writeUnitsPerSecond: 1000, readUnitsPerSecond: 3000, controlPlanePerSecond: 100, burstSeconds: 1 };

export interface Usage {
  calls: number;
  /** Table write units (the item's own partition). */
  writeUnits: number;
  /** Write units of the index entries the writes changed. */
  indexWriteUnits: number;
  readUnits: number;
  /** Requests refused with a throttling error. */
  throttled: number;
}

export interface PartitionUsage {
  writeUnits: number;
  readUnits: number;
  throttled: number;
  /** When this partition was first refused (ms, the proxy's clock), and the units it took from then on. */
  firstThrottledAt?: number;
  unitsSinceFirstThrottle: number;
  lastAt: number;
}

export interface DynamoThrottle {
  url: string;
  total: Usage;
  byOperation: Map<string, Usage>;
  /** Keyed `table|<pk value JSON>` or `table#index|<value>`. */
  partitions: Map<string, PartitionUsage>;
  /** Zeroes the counters (buckets and the item shadow stay). */
  reset(): void;
  close(): Promise<void>;
}

/** A token bucket: `rate` units a second, holding at most `capacity`; it may go negative (the proxy debits estimates and corrects them). */
export class Bucket {
  tokens: number;
  private at: number;
  constructor(
    private readonly rate: number,
    private readonly capacity: number,
    now: number,
  ) {
    this.tokens = capacity;
    this.at = now;
  }
  refill(now: number): number {
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    return this.tokens;
  }
}

/** Units a second a partition took from its first refusal on: its sustained rate under the limit. */
export function sustainedRate(p: PartitionUsage): number | undefined {
  if (p.firstThrottledAt === undefined || p.lastAt <= p.firstThrottledAt) return undefined;
  return (p.unitsSinceFirstThrottle * 1000) / (p.lastAt - p.firstThrottledAt);
}
