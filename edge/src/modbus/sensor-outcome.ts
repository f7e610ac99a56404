import { errorMessage } from '@coldtrace/shared';
import type { GatewayContext, NewReading } from '../module.js';
import type { ModbusBusStats, SensorState } from './modbus-bus-module.js';
import type { ModbusBusConfig } from './modbus-config.js';
import { type Outcome, sensorState } from './reading-quality.js';

/**
 * What one poll's outcome leaves behind: its reading in the record sink, the bus counters, and the
 * sensor's health (state, quality, errors in a row, poll overrun) given to the gateway.
 */
export function reportOutcome(
  c: GatewayContext,
  config: ModbusBusConfig,
  stats: ModbusBusStats,
  s: SensorState,
  o: Outcome,
): void {
  const ts = c.clock.now();
  const reading: NewReading =
    o.quality === 'ok' && 'tempC' in o
      ? {
          sensorId: s.cfg.id,
          locationId: s.cfg.locationId,
          ts,
          tempC: o.tempC,
          ...(o.rh !== undefined ? { rh: o.rh } : {}),
          quality: 'ok',
        }
      : { sensorId: s.cfg.id, locationId: s.cfg.locationId, ts, tempC: null, quality: o.quality };
  if (reading.quality === 'ok') {
    stats.readingsOk++;
    s.consecutiveErrors = 0;
  } else {
    stats.readingsError++;
    s.consecutiveErrors++;
  }
  try {
    c.records.readings([reading]);
  } catch (err) {
    c.log.error(
      { bus: config.id, sensorId: s.cfg.id, err: errorMessage(err) },
      'record sink refused a reading',
    );
  }
  const rhFault = 'rhError' in o ? o.rhError : undefined;
  const lastError = 'error' in o ? o.error : rhFault;
  const state = sensorState(reading.quality, s.consecutiveErrors, config.failAfter, rhFault !== undefined);
  s.health = {
    sensorId: s.cfg.id,
    locationId: s.cfg.locationId,
    state,
    quality: reading.quality,
    lastReadingTs: ts,
    consecutiveErrors: s.consecutiveErrors,
    ...(lastError !== undefined ? { lastError } : {}),
    ...(s.period.overrun ? { pollOverrun: true } : {}),
  };
  if (reading.quality === 'ok' && (rhFault === undefined) !== (s.rhFault === undefined)) {
    if (rhFault) c.log.warn({ bus: config.id, sensorId: s.cfg.id, err: rhFault }, 'humidity fault');
    else c.log.info({ bus: config.id, sensorId: s.cfg.id }, 'humidity good again');
    s.rhFault = rhFault;
  }
  // Every poll: the gateway keeps lastReadingTs and consecutiveErrors of its status fresh, and
  // republishes the status at once only when state, quality or the overrun flag changed.
  try {
    c.health.sensor(s.health);
  } catch (err) {
    c.log.error({ bus: config.id, sensorId: s.cfg.id, err: errorMessage(err) }, 'health registry failed');
  }
}
