// The AMQP confirm-channel surface (amqplib) that the integration-event publisher uses; declared with the
// ingest connectors so that `ingest` never imports from `integrations`.

/** The confirm-channel operations the publisher uses; amqplib's `ConfirmChannel` has them. */
export interface AmqpConfirmChannel {
  /** `callback` runs once: `null` on the broker's basic.ack, an error on its basic.nack or the channel's close. */
  publish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: { persistent: boolean; contentType: string },
    callback: (err: unknown) => void,
  ): boolean;
  on(event: 'close' | 'error', listener: (err?: Error) => void): unknown;
}

/** A connection (amqplib's `ChannelModel`) that opens confirm channels. */
export interface AmqpConfirmConnection {
  createConfirmChannel(): Promise<AmqpConfirmChannel>;
  on(event: 'close' | 'error' | 'blocked' | 'unblocked', listener: (arg?: unknown) => void): unknown;
  close(): Promise<void>;
}

export type AmqpConfirmConnect = (url: string) => Promise<AmqpConfirmConnection>;
