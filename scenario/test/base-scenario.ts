/** A small valid scenario (two locations, one lot of four units, one gateway) the scenario tests extend. */
export const BASE = `name: unit
duration: 6h
locations:
  - id: room-1
    limits: { minC: 2, maxC: 8, alarmDelay: 30m, criticalMarginC: 5, maxGap: 15m }
    temperature: { kind: steady, tempC: 5 }
  - id: truck-1
    limits: { minC: 2, maxC: 8, alarmDelay: 30m, criticalMarginC: 5, maxGap: 15m }
    temperature: { kind: steady, tempC: 5 }
lots:
  - { id: LOT-A, gtin: '00614141123452', lotNumber: A1, expiry: 2027-01-31, companyPrefix: '0614141', itemRef: '012345', serials: { from: 1001, count: 4 } }
products: [{ gtin: '00614141123452', name: P, minC: 2, maxC: 8, stabilityBudget: 1h, cumulativeRules: [{ aboveC: 8, max: 10h }] }]
gateways:
  - id: gw-1
    portals: [{ id: door-1, inside: room-1, outside: truck-1 }]
    sensors: [{ id: s-1, location: room-1 }]
timeline:
  - at: 1h
    move: { units: LOT-A, portal: door-1, direction: in }
`;
