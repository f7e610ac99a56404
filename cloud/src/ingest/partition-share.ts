/**
 * Which of the partition queues this ingestor is active on it should give up, so each of the `consumers`
 * ingestors is active on about as many (RabbitMQ 3.10's single active consumer makes the first consumer
 * of a queue active and never moves it while it lives). `busy`: the partitions it received a delivery on
 * since the last look, in partition order; an idle partition's consumer does not matter. Gives up the
 * busy ones above its fair share, `ceil(partitions / consumers)`: re-consuming puts it last in line, so
 * the next waiting ingestor becomes active on them.
 */
export function partitionsToYield<T>(busy: readonly T[], partitions: number, consumers: number): T[] {
  if (consumers <= 1) return [];
  const share = Math.ceil(partitions / consumers);
  return busy.length > share ? busy.slice(share) : [];
}
