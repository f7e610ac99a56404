import { describe, expect, it } from 'vitest';
import {
  type DispositionManifestInput,
  dispositionManifest,
  readingsDigest,
  sealManifest,
  specificationManifest,
} from '../../src/domain/signature-manifest.js';

const base: DispositionManifestInput = {
  decision: 'reject',
  meaning: 'Reject: ...',
  reason: 'above 8 °C for 40 min',
  subject: { id: 'truck-1@2026-11-22T09:00:00.000Z', cause: 'excursion', version: 2, content: { max_c: 12 } },
  scope: { type: 'lot', lotId: 'LOT-1', epc: null, units: ['B', 'A'] },
  readings: [
    { sensorId: 's2', ts: 2, tempC: 12 },
    { sensorId: 's1', ts: 1, tempC: 11.5 },
  ],
  signer: { userId: 'u-qa', username: 'qa.anna', printedName: 'Anna Quality' },
  signedAt: 1_700_000_000_000,
};

describe('dispositionManifest (21 CFR 11.70)', () => {
  it('is canonical: the same content in another order gives the same JSON and hash', () => {
    const a = dispositionManifest(base);
    const b = dispositionManifest({
      ...base,
      scope: { ...base.scope, units: ['A', 'B'] },
      readings: [...base.readings].reverse(),
      subject: { ...base.subject, content: { max_c: 12 } },
    });
    expect(a.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(b.canonical).toBe(a.canonical);
    expect(b.hash).toBe(a.hash);
    // The canonical form has sorted keys and the units sorted: what a verifier recomputes from the JSON.
    expect(sealManifest(JSON.parse(a.canonical)).hash).toBe(a.hash);
    expect(a.manifest).toMatchObject({ scope: { units: ['A', 'B'] }, reviewedData: { readings: 2 } });
  });

  const changes: Array<[string, Partial<DispositionManifestInput>]> = [
    ['decision', { decision: 'release' }],
    ['meaning', { meaning: 'Release: ...' }],
    ['reason', { reason: 'other' }],
    ['excursion id', { subject: { ...base.subject, id: 'x2' } }],
    ['excursion version', { subject: { ...base.subject, version: 3 } }],
    ['excursion content', { subject: { ...base.subject, content: { max_c: 13 } } }],
    ['scope', { scope: { ...base.scope, type: 'epc', lotId: null, epc: 'A' } }],
    ['units', { scope: { ...base.scope, units: ['A'] } }],
    ['a reading value', { readings: [base.readings[0]!, { sensorId: 's1', ts: 1, tempC: 11.6 }] }],
    ['a reading time', { readings: [base.readings[0]!, { sensorId: 's1', ts: 3, tempC: 11.5 }] }],
    ['a reading sensor', { readings: [base.readings[0]!, { sensorId: 's3', ts: 1, tempC: 11.5 }] }],
    ['a missing reading', { readings: [base.readings[0]!] }],
    ['signer id', { signer: { ...base.signer, userId: 'u-2' } }],
    ['printed name', { signer: { ...base.signer, printedName: 'Anna Q.' } }],
    ['signing time', { signedAt: base.signedAt + 1 }],
  ];
  it.each(changes)('changes when the %s changes', (_what, patch) => {
    expect(dispositionManifest({ ...base, ...patch }).hash).not.toBe(dispositionManifest(base).hash);
  });

  it('digests readings by sensor, time and value, whatever their order', () => {
    const d = readingsDigest(base.readings);
    expect(readingsDigest([...base.readings].reverse())).toBe(d);
    expect(readingsDigest([])).not.toBe(d);
  });
});

describe('specificationManifest (21 CFR 11.70)', () => {
  const spec = {
    entityType: 'location',
    entityId: 'room-a',
    content: { max_c: 8, version: 2, effectiveFrom: null },
    meaning: 'Approval of a specification change',
    reason: 'requalified',
    signer: { userId: 'u-qa', username: 'qa.anna', printedName: 'Anna Quality' },
    signedAt: 1_700_000_000_000,
  };
  it('is canonical over the content and changes with it and with the signer, entity and time', () => {
    const a = specificationManifest(spec);
    expect(
      specificationManifest({ ...spec, content: { effectiveFrom: null, version: 2, max_c: 8 } }).hash,
    ).toBe(a.hash);
    for (const patch of [
      { content: { max_c: 9, version: 2, effectiveFrom: null } },
      { entityId: 'room-b' },
      { signer: { ...spec.signer, userId: 'u-2' } },
      { signedAt: spec.signedAt + 1 },
      { reason: 'other' },
    ])
      expect(specificationManifest({ ...spec, ...patch }).hash).not.toBe(a.hash);
  });
});
