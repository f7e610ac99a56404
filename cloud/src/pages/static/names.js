import { api } from './api.js';
import { fmtTime, h } from './ui.js';

/**
 * Names instead of ids (docs/qa-pages.md "Pages"): locations and sensors (and with `portals`, portals) by
 * their names from master data (GET /api/v1/locations, /sensors, /portals: one request each per page), the id
 * on hover (`title`) and in `data-id`; an id master data does not know is shown as it is.
 */
export async function loadNames({ portals = false } = {}) {
  const [locations, sensors, portalList] = await Promise.all([
    api.get('/api/v1/locations'),
    api.optional('/api/v1/sensors', []),
    portals ? api.optional('/api/v1/portals', []) : [],
  ]);
  const locs = new Map(locations.map((l) => [l.id, l.name]));
  const sens = new Map(sensors.map((s) => [s.id, s.name]));
  const ports = new Map(portalList.map((p) => [p.id, p.name]));
  return {
    portal: (id) => named(ports, id, 'portal'),
    /** The location's name as text (its id when unknown). */
    locationText: (id) => (id === null || id === undefined ? '—' : (locs.get(id) ?? id)),
    /** The location's name, its id on hover. */
    location: (id) => named(locs, id, 'location'),
    sensorText: (id) => sens.get(id) ?? id,
    sensor: (id) => named(sens, id, 'sensor'),
  };
}

/** A name with its id on hover (and in `data-id`, for tools and tests). */
export function named(names, id, kind) {
  if (id === null || id === undefined) return '—';
  const name = names.get(id);
  if (name === undefined || name === id) return h('span', { class: `named ${kind}`, 'data-id': id }, id);
  return h('span', { class: `named ${kind}`, 'data-id': id, title: `${kind} id: ${id}` }, name);
}

/**
 * An excursion as people name it: where and since when ("Reefer truck 7 · 2026-12-06 04:42 UTC"), a link
 * to its page, its id on hover and in `data-id`. `locationName` is the location's name as text.
 */
export function excursionLink(e, locationName) {
  const href = `/excursions/${encodeURIComponent(e.id)}`;
  const text =
    e.startTs === undefined || e.startTs === null ? e.id : `${locationName} · ${fmtTime(e.startTs)}`;
  return h('a', { href, class: 'excursion-link', 'data-id': e.id, title: `excursion id: ${e.id}` }, text);
}

/** A gateway (GET /api/v1/gateways gives its name) by its name, its id on hover. */
export function gatewayName(g) {
  return named(new Map([[g.id, g.name || g.id]]), g.id, 'gateway');
}

/**
 * "3 at Reefer truck 7, 2 at Cold store" from `{ locationId: units }`, each name with its id on hover.
 * `format(name, n)` arranges one entry (default `n at name`).
 */
export function whereNowText(whereNow, names, format = (name, n) => [`${n} at `, name]) {
  const entries = Object.entries(whereNow ?? {});
  if (!entries.length) return '—';
  return entries.flatMap(([loc, n], i) => [
    i ? ', ' : '',
    format(loc === 'unknown' ? 'unknown' : names.location(loc), n),
  ]);
}

/**
 * A unit as people name it: GTIN and serial (and its lot's number when given), the hex EPC on demand
 * (a folded "EPC" toggle). `u` = { epc, gtin, serial } as the API gives it; an EPC that is no SGTIN shows
 * its hex (it has no other name).
 */
export function unitLabel(u, lotNumber) {
  if (!u.gtin) return h('span', { class: 'unit mono small', 'data-epc': u.epc }, u.epc);
  return h(
    'span',
    { class: 'unit', 'data-epc': u.epc },
    `GTIN ${u.gtin} · serial ${u.serial ?? '?'}`,
    lotNumber ? ` · lot ${lotNumber}` : '',
    ' ',
    h(
      'details',
      { class: 'epc' },
      h('summary', { class: 'epc-toggle muted small' }, 'EPC'),
      h('span', { class: 'mono small' }, u.epc),
    ),
  );
}
