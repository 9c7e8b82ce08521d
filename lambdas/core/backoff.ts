/**
 * The pause before another try: full jitter under an exponential cap (1 s), as the AWS SDK's
 * standard retry mode. One policy for every retry loop (DynamoDB transport, unprocessed batch
 * items, waiting for a lease).
 */
export function backoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(1_000, 50 * 2 ** attempt)));
}
