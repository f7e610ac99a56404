import { z } from 'zod';
import { DOMAIN_EVENT_NAMES } from '../domain/domain-events.js';

/** A webhook endpoint's settings, the same in the cloud config and in `PUT /api/v1/webhooks/:id`. */
export const webhookEndpointFields = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'url must be an http(s) URL' }),
    /** HMAC-SHA256 key of `x-coldtrace-signature`. */
    secret: z.string().min(16, 'secret must be at least 16 characters'),
    /** Events to deliver; default every event. */
    events: z.array(z.enum(DOMAIN_EVENT_NAMES)).min(1).or(z.literal('*')).default('*'),
  })
  .strict();
