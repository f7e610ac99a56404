export { type AiSpec, aiSpec, checkAiValue } from './gs1-ai.js';
export { gs1CheckDigit, gs1CheckDigitOk } from './gs1-check-digit.js';
export { type DateContext, gs1Date, gs1Year } from './gs1-date.js';
export { encodeDigitalLink, isDigitalLink, parseDigitalLink } from './gs1-digital-link.js';
export {
  encodeElementString,
  GS as GS1_FNC1,
  type Gs1Element,
  parseBracketed,
  parseElementString,
} from './gs1-element-string.js';
export {
  encodeHibc,
  HIBC_DEVICE_IDENTIFIER,
  type HibcCode,
  type HibcFields,
  hibcCheckCharacter,
  parseHibc,
} from './hibc.js';
export { type BarcodeFormat, type ParsedBarcode, parseBarcode } from './parse-barcode.js';
export { SCAN_DIRECTIONS, type Scan, type ScanDirection, scanSchema } from './scan-record.js';
export { type SgtinOfScanInput, sgtin96Serial, sgtinCandidates, sgtinOfScan } from './sgtin-of-scan.js';
