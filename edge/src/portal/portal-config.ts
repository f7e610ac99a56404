import { idSchema } from '@coldtrace/shared';
import { z } from 'zod';
import { DEFAULT_HEALTHY_MS } from '../llrp/connector.js';
import { SEARCH_MODES } from '../llrp/radio-plan.js';
import { READER_CLOCK_POLICIES } from '../llrp/reader-clock.js';

const antennasSchema = z.array(z.number().int().min(1).max(65535)).min(1);

/** One antenna's radio settings (docs/llrp.md "Radio settings"; `llrp/radio-plan.ts`). */
const antennaRadioFields = {
  txPowerDbm: z.number().min(-20).max(40).optional(),
  rxSensitivityDb: z.number().int().min(-128).max(127).optional(),
  rfMode: z.number().int().min(0).max(0xffff).optional(),
  session: z.number().int().min(0).max(3).optional(),
  tagPopulation: z.number().int().min(1).max(65535).optional(),
  tagTransitTimeMs: z.number().int().min(0).optional(),
};
/** LLRP 1.0.1 §16.3.1.2.1.3: population and transit time are fields of C1G2SingulationControl, with Session. */
const singulation = [
  (a: { session?: number; tagPopulation?: number; tagTransitTimeMs?: number }) =>
    a.session !== undefined || (a.tagPopulation === undefined && a.tagTransitTimeMs === undefined),
  { message: 'tagPopulation and tagTransitTimeMs go with a session (C1G2SingulationControl)' },
] as const;
const antennaRadioSchema = z
  .object(antennaRadioFields)
  .strict()
  .refine(...singulation);
/** For all the portal's antennas, and per antenna ID what differs; the search mode is per portal. */
const radioSchema = z
  .object({
    ...antennaRadioFields,
    searchMode: z.enum(SEARCH_MODES).optional(),
    antennas: z.record(z.string().regex(/^[1-9]\d*$/), antennaRadioSchema).optional(),
  })
  .strict()
  .refine(...singulation);

/** The reader's clock against the gateway's (docs/llrp.md "Reader clock"; `llrp/reader-clock.ts`). */
const readerClockSchema = z
  .object({
    /** reader: trust its times; offset: correct them by the skew while beyond maxSkewMs; gateway: receive time. */
    policy: z.enum(READER_CLOCK_POLICIES).default('offset'),
    /** Skew beyond this raises `reader_clock_skew` (cleared within half of it). */
    maxSkewMs: z.number().int().min(1).default(2_000),
    /** The reader's time going back by more than this is a clock step; default: the portal's dwellMs. */
    stepMs: z.number().int().min(1).optional(),
    /** How long a skew sample counts for the estimate (the largest sample of this window is kept). */
    windowMs: z.number().int().min(1_000).default(60_000),
  })
  .strict()
  .default({ policy: 'offset', maxSkewMs: 2_000, windowMs: 60_000 });

/** One RFID portal: an LLRP reader and the door it watches (docs/architecture.md "Portal logic"). */
export const portalConfigSchema = z
  .object({
    id: idSchema,
    reader: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535).default(5084),
        connectTimeoutMs: z.number().int().min(100).default(10_000),
        /** Keepalive period asked of the reader; 0 disables keepalive supervision. */
        keepaliveMs: z.number().int().min(0).default(10_000),
        /** Reconnect after this many missed keepalive periods. */
        keepaliveMissFactor: z.number().min(1).default(3),
        responseTimeoutMs: z.number().int().min(100).default(5_000),
        reconnect: z
          .object({
            initialMs: z.number().int().min(10).default(1_000),
            maxMs: z.number().int().min(10).default(60_000),
            /** A connection up this long resets the backoff; 0: at once after a successful setup. */
            healthyMs: z.number().int().min(0).default(DEFAULT_HEALTHY_MS),
          })
          .strict()
          .default({ initialMs: 1_000, maxMs: 60_000, healthyMs: DEFAULT_HEALTHY_MS }),
        /** SET_READER_CONFIG ResetToFactoryDefault at each connect; false keeps the tuning done on the reader. */
        factoryReset: z.boolean().default(true),
        rospecId: z.number().int().min(1).max(0xffffffff).default(1),
        // ROReportTrigger N (LLRP 1.0.1 §16.2.7.1): 0 would mean "no limit", i.e. a report only at the end
        // of a ROSpec that a portal never ends, so no tag would ever be reported.
        reportEveryTags: z.number().int().min(1).max(65535).default(1),
        maxMessageBytes: z
          .number()
          .int()
          .min(1024)
          .default(16 * 1024 * 1024),
        clock: readerClockSchema,
        /** Radio settings for all antennas and per antenna; absent: the reader's own. */
        radio: radioSchema.optional(),
      })
      .strict(),
    outside: z.object({ locationId: idSchema, antennas: antennasSchema }).strict(),
    inside: z.object({ locationId: idSchema, antennas: antennasSchema }).strict(),
    /** Reads weaker than this are stray reads from stock near the door and are ignored. */
    minRssiDbm: z.number().int().min(-128).max(127).default(-65),
    /** Qualifying reads needed before a tag counts as seen at all. */
    minReads: z.number().int().min(1).default(3),
    /** Qualifying reads a side needs to count for direction. */
    minSideReads: z.number().int().min(1).default(2),
    /** A tag has left the field after no qualifying reads for this long. */
    dwellMs: z.number().int().min(1).default(2_000),
    /** A tag still read after this long is reported (as presence or pass) and tracked afresh. */
    maxTrackMs: z.number().int().min(1).default(120_000),
    /** Side centroids closer than this give a presence, not a pass (ambiguous direction). */
    minSideGapMs: z.number().int().min(0).default(50),
    /** …and closer than this fraction of the time the tag was seen (a tag lingering is not crossing). */
    minSideGapRatio: z.number().min(0).max(1).default(0.15),
    /** How often finished tags are swept out. */
    sweepMs: z.number().int().min(10).default(250),
  })
  .strict()
  .superRefine((c, ctx) => {
    const overlap = c.outside.antennas.filter((a) => c.inside.antennas.includes(a));
    if (overlap.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['inside', 'antennas'],
        message: `antennas on both sides: ${overlap}`,
      });
    }
    const portalAntennas = [...c.outside.antennas, ...c.inside.antennas];
    for (const id of Object.keys(c.reader.radio?.antennas ?? {})) {
      if (!portalAntennas.includes(Number(id))) {
        ctx.addIssue({
          code: 'custom',
          path: ['reader', 'radio', 'antennas', id],
          message: `antenna ${id} is on neither side of the portal`,
        });
      }
    }
    if (c.reader.reconnect.maxMs < c.reader.reconnect.initialMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['reader', 'reconnect', 'maxMs'],
        message: 'maxMs must be ≥ initialMs',
      });
    }
  });

export type PortalConfig = z.infer<typeof portalConfigSchema>;
export type PortalConfigInput = z.input<typeof portalConfigSchema>;
