import type { NewAlarm, NewMovement, NewReading } from '../../src/module.js';

export const T0 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

export function reading(i: number, over: Partial<NewReading> = {}): NewReading {
  return {
    sensorId: 's1',
    locationId: 'room-1',
    ts: T0 + i * 60_000,
    tempC: 4 + (i % 7) * 0.1,
    rh: 50,
    quality: 'ok',
    ...over,
  };
}

export function readings(n: number, from = 0, over: Partial<NewReading> = {}): NewReading[] {
  return Array.from({ length: n }, (_, k) => reading(from + k, over));
}

export function movement(i: number): NewMovement {
  return {
    epc: '30340242201D8840009EFB5A',
    portalId: 'dock-1',
    kind: 'pass',
    from: 'dock',
    to: 'room-1',
    direction: 'in',
    ts: T0 + i * 1000,
    firstSeen: T0 + i * 1000 - 500,
    lastSeen: T0 + i * 1000 + 500,
    reads: 12,
    peakRssi: -52,
  };
}

export function alarm(i: number): NewAlarm {
  return {
    alarmId: `temperature_high:room-${i}`,
    kind: 'temperature_high',
    state: 'raised',
    severity: 'critical',
    ts: T0 + i * 1000,
    locationId: 'room-1',
    value: 9.5,
    message: 'room-1 above 8 °C',
  };
}
