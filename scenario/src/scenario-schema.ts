import { SIM_FAULTS } from '@coldtrace/firmware-sim';
import { idSchema } from '@coldtrace/shared';
import { z } from 'zod';
import { durationSchema } from './duration.js';
import { expectationSchema, unitsSchema } from './expectation-schema.js';

export type { Expectation } from './expectation-schema.js';
export { unitsSchema };

/**
 * The scenario file (YAML or JSON): master data, the devices, a timeline of events and the expected
 * conclusions. Times in the timeline and in expectations are durations from the scenario start.
 */

const noiseC = z.number().min(0).max(5).default(0);

/** A location's temperature from the moment it is set (the event's time), as a function of time. */
export const temperatureProfileSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('steady'), tempC: z.number(), noiseC }).strict(),
  z
    .object({
      kind: z.literal('door-open'),
      baseC: z.number(),
      /** Rise reached when the door closes; then back to base over `recovery`. */
      spikeC: z.number(),
      open: durationSchema,
      recovery: durationSchema.default(600_000),
      /** Repeat every so long (periodic door openings); once when absent. */
      every: durationSchema.optional(),
      noiseC,
    })
    .strict(),
  z
    .object({
      kind: z.literal('compressor-failure'),
      baseC: z.number(),
      rateCPerMin: z.number().positive(),
      /** The ramp levels off here. */
      ambientC: z.number(),
      noiseC,
    })
    .strict(),
  z
    .object({
      kind: z.literal('defrost'),
      baseC: z.number(),
      peakC: z.number(),
      every: durationSchema,
      duration: durationSchema,
      noiseC,
    })
    .strict(),
  z
    .object({
      /** From whatever the temperature was when this starts, towards `toC` at `rateCPerMin`. */
      kind: z.literal('recover'),
      toC: z.number(),
      rateCPerMin: z.number().positive(),
      noiseC,
    })
    .strict(),
]);
export type TemperatureProfile = z.infer<typeof temperatureProfileSchema>;

const limitsSchema = z
  .object({
    minC: z.number(),
    maxC: z.number(),
    alarmDelay: durationSchema,
    criticalMarginC: z.number().min(0),
    maxGap: durationSchema,
  })
  .strict()
  .refine((l) => l.minC < l.maxC, 'minC must be below maxC');

const locationSchema = z
  .object({
    id: idSchema,
    name: z.string().optional(),
    kind: z.enum(['room', 'vehicle', 'store', 'dock']).default('room'),
    limits: limitsSchema,
    /** The temperature at the scenario start (until a timeline `temperature` event changes it). */
    temperature: temperatureProfileSchema,
  })
  .strict();

const cumulativeRuleSchema = z.union([
  z.object({ aboveC: z.number(), max: durationSchema }).strict(),
  z.object({ belowC: z.number(), max: durationSchema }).strict(),
]);
export type ScenarioCumulativeRule = z.infer<typeof cumulativeRuleSchema>;

const productSchema = z
  .object({
    gtin: z.string().regex(/^\d{14}$/, 'a GTIN-14'),
    name: z.string(),
    minC: z.number(),
    maxC: z.number(),
    /** Time the product may spend outside its own range over its life (the stability budget). */
    stabilityBudget: durationSchema,
    /**
     * WHO PQS-style cumulative rules, stored with the product in the cloud: a unit that spends `max` in
     * total above `aboveC` (or below `belowC`) across its custody is locked pending QA.
     */
    cumulativeRules: z.array(cumulativeRuleSchema).default([]),
  })
  .strict();

const lotSchema = z
  .object({
    id: idSchema,
    gtin: z.string().regex(/^\d{14}$/, 'a GTIN-14'),
    lotNumber: z.string().min(1),
    expiry: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'YYYY-MM-DD'),
    /** SGTIN-96 of each tagged case: company prefix, item reference, serials from..from+count-1. */
    companyPrefix: z.string().regex(/^\d{6,12}$/),
    itemRef: z.string().regex(/^\d{1,7}$/),
    serials: z.object({ from: z.number().int().min(0), count: z.number().int().min(1).max(5000) }).strict(),
    /**
     * `false`: the units carry no RFID tag, only their printed code (GTIN, expiry, lot, serial), so they
     * are seen by scan stations only, never by a portal.
     */
    tagged: z.boolean().default(true),
  })
  .strict();

const portalSchema = z
  .object({ id: idSchema, inside: idSchema, outside: idSchema, name: z.string().optional() })
  .strict();
const sensorSchema = z
  .object({
    id: idSchema,
    location: idSchema,
    /** Modbus unit address on the gateway's bus; by order when absent. */
    address: z.number().int().min(1).max(247).optional(),
    /** This sensor reads so much above (below) the location's temperature. */
    offsetC: z.number().default(0),
  })
  .strict();

/** A barcode scanner at a location (docs/barcode.md "Stations"), fed by a scanner simulator. */
const scanStationSchema = z
  .object({
    id: idSchema,
    location: idSchema,
    direction: z.enum(['receiving', 'dispatch', 'putaway', 'picking']),
  })
  .strict();

const gatewaySchema = z
  .object({
    id: idSchema,
    name: z.string().optional(),
    /** `child`: run as `coldtrace edge` in its own process (needed for `powerLoss`). */
    process: z.enum(['in-process', 'child']).default('in-process'),
    /** Locations the gateway watches (local alarms); defaults to those of its sensors and portals. */
    locations: z.array(idSchema).optional(),
    poll: durationSchema.default(30_000),
    portals: z.array(portalSchema).default([]),
    sensors: z.array(sensorSchema).default([]),
    scanStations: z.array(scanStationSchema).default([]),
  })
  .strict();

const at = durationSchema;
export const ROGUE_PAYLOADS = [
  'malformed-json',
  'schema-violation',
  'foreign-gateway',
  'other-topic',
] as const;
const eventSchema = z.union([
  z
    .object({
      at,
      note: z.string().optional(),
      move: z
        .object({
          units: unitsSchema,
          portal: idSchema,
          direction: z.enum(['in', 'out']),
          duration: durationSchema.default(1500),
        })
        .strict(),
    })
    .strict(),
  z
    .object({
      at,
      note: z.string().optional(),
      temperature: z.object({ location: idSchema, profile: temperatureProfileSchema }).strict(),
    })
    .strict(),
  z
    .object({
      at,
      note: z.string().optional(),
      sensorFault: z
        .object({ sensor: idSchema, fault: z.enum(SIM_FAULTS), duration: durationSchema })
        .strict(),
    })
    .strict(),
  z
    .object({
      at,
      note: z.string().optional(),
      uplinkLoss: z.object({ gateway: idSchema, duration: durationSchema }).strict(),
    })
    .strict(),
  z
    .object({
      at,
      note: z.string().optional(),
      powerLoss: z.object({ gateway: idSchema, restartAfter: durationSchema }).strict(),
    })
    .strict(),
  z
    .object({
      at,
      note: z.string().optional(),
      /** Units scanned one after the other at a station, by their printed code, all at `at`. */
      scan: z
        .object({
          station: idSchema,
          units: unitsSchema,
          format: z.enum(['datamatrix', 'gs1-128', 'digital-link']).default('datamatrix'),
        })
        .strict(),
    })
    .strict(),
  z
    .object({ at, note: z.string().optional(), readerDisconnect: z.object({ portal: idSchema }).strict() })
    .strict(),
  z
    .object({
      at,
      note: z.string().optional(),
      /**
       * Something other than the gateway publishes readings with its credentials, straight to the
       * broker: a misconfigured or rogue device. `malformed-json` and `schema-violation` send a broken
       * payload, `foreign-gateway` a valid batch naming another gateway, `other-topic` a batch under
       * another gateway's topic root (refused by the broker's ACL). Each message must end as a dead letter.
       */
      roguePublish: z
        .object({
          gateway: idSchema,
          payload: z.enum(ROGUE_PAYLOADS),
          count: z.number().int().min(1).max(100).default(1),
        })
        .strict(),
    })
    .strict(),
]);
export type ScenarioEvent = z.infer<typeof eventSchema>;

export const scenarioSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    /** Seeds every simulator's randomness (RF reads, noise). */
    seed: z.number().int().min(0).default(1),
    /** The scenario's wall-clock start (UTC), e.g. 2026-01-05T06:00:00Z. */
    start: z
      .string()
      .refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO-8601 date-time')
      .default('2026-01-05T06:00:00Z'),
    duration: durationSchema,
    clock: z
      .object({
        /** Scenario ms per real ms. */
        scale: z.number().min(1).max(20_000).default(1200),
        /** Event times are quantised to this (see docs/scenarios.md). */
        tick: durationSchema.default(60_000),
      })
      .strict()
      .default({ scale: 1200, tick: 60_000 }),
    locations: z.array(locationSchema).min(1),
    products: z.array(productSchema).default([]),
    lots: z.array(lotSchema).default([]),
    gateways: z.array(gatewaySchema).min(1),
    timeline: z.array(eventSchema).default([]),
    expect: z.array(expectationSchema).default([]),
  })
  .strict();
export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type ScenarioGateway = Scenario['gateways'][number];
export type ScenarioLocation = Scenario['locations'][number];

/** Gateways of the scenario that run as child processes (asked for, or implied by a power loss). */
export function childGatewayIds(s: Scenario): string[] {
  const killed = new Set(s.timeline.flatMap((e) => ('powerLoss' in e ? [e.powerLoss.gateway] : [])));
  return s.gateways.filter((g) => g.process === 'child' || killed.has(g.id)).map((g) => g.id);
}
