/** What one sensor's requests came to since the gateway started (the `/metrics` counters). */
export interface SensorCounters {
  /** Polls started (one reading each). */
  polls: number;
  /** Poll periods lost: the sensor was still waiting for its turn when the next one fell due. */
  missedPolls: number;
  /** Modbus requests written, retries included. */
  requests: number;
  /** Requests made again in the same poll after a timeout or CRC error. */
  retries: number;
  timeouts: number;
  /** Answers that came after their request had timed out (discarded). */
  lateReplies: number;
  crcErrors: number;
  /** Exception responses (Modbus Application Protocol V1.1b3 §7). */
  exceptions: number;
}

export function zeroCounters(): SensorCounters {
  return {
    polls: 0,
    missedPolls: 0,
    requests: 0,
    retries: 0,
    timeouts: 0,
    lateReplies: 0,
    crcErrors: 0,
    exceptions: 0,
  };
}

export interface SensorReport extends SensorCounters {
  sensorId: string;
  /** The sensor's poll period cannot be kept at the moment (docs/modbus.md "Poll periods and fair turns"). */
  pollOverrun: boolean;
}

/** One bus as `/metrics` shows it. */
export interface ModbusBusReport {
  busId: string;
  deviceOpen: boolean;
  reopenAttempts: number;
  /**
   * Bus time one poll of every sensor takes at the current answer times: the sum of each sensor's
   * last poll (retries and late-reply windows included). Above a sensor's period it cannot be kept.
   */
  cycleMs: number;
  /** Whole frames that answered none of the gateway's requests (not late replies). */
  unmatchedFrames: number;
  /** Received bytes that formed no frame. */
  noiseBytes: number;
  sensors: SensorReport[];
}
