import type { Alarm, Clock, Movement, ReaderHealth, Reading, Scan, SensorHealth } from '@coldtrace/shared';
import type { Logger } from 'pino';

/** A record before the buffer gives it its sequence number. */
export type NewReading = Omit<Reading, 'seq'>;
export type NewMovement = Omit<Movement, 'seq'>;
export type NewAlarm = Omit<Alarm, 'seq'>;
/** A barcode scan (edge/src/scan): a record of the movements stream beside the RFID movements. */
export type NewScan = Omit<Scan, 'seq'>;

/**
 * Where modules put what they observe. Each call persists the records in the gateway's durable
 * buffer (one transaction) before it returns; the publisher sends them from there.
 */
export interface RecordSink {
  readings(records: NewReading[]): void;
  movements(records: Array<NewMovement | NewScan>): void;
  alarms(records: NewAlarm[]): void;
}

/**
 * Device health shown in the gateway's retained `status`. Report as often as it is observed (a sensor
 * after every poll): the status carries the latest report, and is republished at once only when the
 * device's state (or a sensor's quality) changed.
 */
export interface HealthRegistry {
  reader(health: ReaderHealth): void;
  sensor(health: SensorHealth): void;
}

export interface GatewayContext {
  gatewayId: string;
  clock: Clock;
  log: Logger;
  records: RecordSink;
  health: HealthRegistry;
  /** Subscribe to readings after they were persisted (local alarms listen here). */
  onReadings(listener: (readings: readonly Reading[]) => void): () => void;
}

/**
 * A gateway feature (a reader driver, a sensor bus, local alarms…). Started and stopped by the
 * controller; a module that throws is logged and isolated, never fatal to the gateway.
 */
export interface GatewayModule {
  readonly name: string;
  start(ctx: GatewayContext): Promise<void>;
  stop(): Promise<void>;
}
