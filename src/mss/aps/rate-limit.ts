/**
 * A token bucket per AP, in this process: `ratePerSecond` requests a second, bursts up to one second's worth.
 * With several nodes each enforces the rate on its own share of the traffic.
 */
export class ApRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number = () => Date.now()) {}

  take(apId: string, ratePerSecond: number): boolean {
    const t = this.now();
    const bucket = this.buckets.get(apId) ?? { tokens: ratePerSecond, at: t };
    bucket.tokens = Math.min(ratePerSecond, bucket.tokens + ((t - bucket.at) / 1000) * ratePerSecond);
    bucket.at = t;
    this.buckets.set(apId, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
