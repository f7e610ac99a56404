import { ColdtraceError } from '@coldtrace/shared';
import {
  type AntennaRadioConfig,
  IMPINJ_SEARCH_MODES,
  IMPINJ_VENDOR_ID,
  type ImpinjSearchModeName,
  type ReaderCapabilities,
} from '@coldtrace/shared/llrp';

/** Radio settings of one antenna as a technician gives them (docs/llrp.md "Radio settings"). */
export interface AntennaRadio {
  /** Conducted transmit power (dBm): the reader's highest table level not above it. */
  txPowerDbm?: number;
  /** Receive sensitivity, dB relative to the reader's maximum: a value of its table. */
  rxSensitivityDb?: number;
  /** C1G2 RF mode: a ModeIdentifier of the reader's UHFC1G2RFModeTable. */
  rfMode?: number;
  /** Gen2 session 0-3 (dock doors: usually 1 or 2, so a tag read once stays quiet while it passes). */
  session?: number;
  /** Expected tags in the field, a hint for the reader's Q; with `session`. */
  tagPopulation?: number;
  /** Expected time a tag spends in the field (ms); with `session`. */
  tagTransitTimeMs?: number;
}

/** Gen2 inventory search mode: an Impinj extension, or `reader-default` to send none. */
export type SearchMode = ImpinjSearchModeName | 'reader-default';

/** The config's search mode names: `reader-default` and those of `IMPINJ_SEARCH_MODES`. */
export const SEARCH_MODES = [
  'reader-default',
  ...(Object.keys(IMPINJ_SEARCH_MODES) as ImpinjSearchModeName[]),
] as const satisfies readonly SearchMode[];

/** A portal's radio settings: for all its antennas, and per antenna (by ID) what differs. */
export interface RadioSettings extends AntennaRadio {
  /**
   * Gen2 search mode (target A, A/B, TagFocus …) of every antenna of the portal: Impinj Octane LLRP
   * ImpinjInventorySearchMode, so for an Impinj reader only; `reader-default` (or absent) sends none.
   */
  searchMode?: SearchMode;
  antennas?: Record<string, AntennaRadio>;
}

/** Tag population the reader is told when `session` is set without one (a pallet of cases). */
const DEFAULT_TAG_POPULATION = 32;
/** Power levels are dBm × 100 on the wire: a setting within this of a level is that level. */
const POWER_EPSILON_DBM = 0.005;

/** Numbers for a message: all of them up to `all`, else the range and how many. */
function listed(values: number[], unit = '', all = 8): string {
  const v = [...new Set(values)].sort((a, b) => a - b);
  if (v.length === 0) return 'none';
  if (v.length <= all) return v.map((x) => `${x}${unit}`).join(', ');
  return `${v[0]}${unit} to ${v.at(-1)}${unit} (${v.length} values)`;
}

/**
 * The ROSpec's AntennaConfigurations for `antennas` (LLRP 1.0.1 §16.2.6.6), the settings mapped to the
 * reader's tables (§16.2.3): transmit power to the highest TransmitPowerLevelTableEntry not above it,
 * receive sensitivity to its ReceiveSensitivityTableEntry (within the antenna's range), the RF mode to its
 * UHFC1G2RFModeTableEntry; the search mode (Impinj readers only) as ImpinjInventorySearchMode. What the
 * reader cannot do is one `llrp_radio_config` error naming every problem, so a technician fixes them in
 * one go.
 */
export function planRadio(
  settings: RadioSettings,
  antennas: readonly number[],
  caps: ReaderCapabilities,
): AntennaRadioConfig[] {
  const problems: string[] = [];
  const power = [...caps.transmitPower].sort((a, b) => a.dBm - b.dBm);
  const out: AntennaRadioConfig[] = [];
  const searchMode =
    settings.searchMode === undefined || settings.searchMode === 'reader-default'
      ? undefined
      : IMPINJ_SEARCH_MODES[settings.searchMode];
  // Impinj Octane LLRP: ImpinjInventorySearchMode is Impinj's Custom parameter (LLRP 1.0.1 §16.2.9); any
  // other reader would refuse it (or worse, a vendor could give subtype 23 another meaning).
  if (searchMode !== undefined && caps.manufacturer !== IMPINJ_VENDOR_ID) {
    problems.push(
      `searchMode ${settings.searchMode} is an Impinj extension (ImpinjInventorySearchMode) and this reader ` +
        `is not an Impinj reader (DeviceManufacturerName ${caps.manufacturer}, Impinj is ${IMPINJ_VENDOR_ID}); ` +
        'use reader-default or leave searchMode out',
    );
  }
  for (const id of [...antennas].sort((a, b) => a - b)) {
    const s: AntennaRadio = { ...settings, ...settings.antennas?.[String(id)] };
    const bad = (what: string) => problems.push(`antenna ${id}: ${what}`);
    if (id > caps.maxAntennas || (caps.c1g2Antennas.length > 0 && !caps.c1g2Antennas.includes(id))) {
      bad(`not a C1G2 antenna of this reader (it has ${listed(caps.c1g2Antennas)})`);
      continue;
    }
    const a: AntennaRadioConfig = { antennaId: id };
    if (s.txPowerDbm !== undefined) {
      const level = power.filter((p) => p.dBm <= s.txPowerDbm! + POWER_EPSILON_DBM).at(-1);
      const max = power.at(-1);
      if (max === undefined) bad('txPowerDbm: the reader reports no transmit power table');
      else if (s.txPowerDbm > max.dBm + POWER_EPSILON_DBM)
        bad(`txPowerDbm ${s.txPowerDbm} is above the reader's maximum ${max.dBm.toFixed(2)} dBm`);
      else if (level === undefined)
        bad(`txPowerDbm ${s.txPowerDbm} is below the reader's minimum ${power[0]!.dBm.toFixed(2)} dBm`);
      else {
        a.transmitter = {
          hopTableId: caps.hopTableIds[0] ?? 1,
          channelIndex: 1, // one-based; the reader ignores it where it hops (§16.2.6.8)
          powerIndex: level.index,
        };
      }
    }
    if (s.rxSensitivityDb !== undefined) {
      const range = caps.sensitivityRange.get(id);
      const allowed = caps.receiveSensitivity.filter(
        (e) => range === undefined || (e.index >= range.min && e.index <= range.max),
      );
      const entry = allowed.find((e) => e.dB === s.rxSensitivityDb);
      if (entry) a.receiverSensitivityIndex = entry.index;
      else
        bad(
          `rxSensitivityDb ${s.rxSensitivityDb} is not in the reader's table (${listed(
            allowed.map((e) => e.dB),
            ' dB',
          )})`,
        );
    }
    if (s.rfMode !== undefined) {
      if (caps.rfModes.includes(s.rfMode)) a.rfMode = s.rfMode;
      else
        bad(`rfMode ${s.rfMode} is not one of the reader's C1G2 RF modes (${listed(caps.rfModes, '', 32)})`);
    }
    if (s.session !== undefined) {
      a.singulation = {
        session: s.session,
        tagPopulation: s.tagPopulation ?? DEFAULT_TAG_POPULATION,
        tagTransitTimeMs: s.tagTransitTimeMs ?? 0,
      };
    }
    if (searchMode !== undefined) a.searchMode = searchMode;
    out.push(a);
  }
  if (problems.length > 0) {
    throw new ColdtraceError(
      'llrp_radio_config',
      `radio settings the reader cannot do: ${problems.join('; ')}`,
      { problems },
    );
  }
  return out;
}
