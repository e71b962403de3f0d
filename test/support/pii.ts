// Finds personal data outside lk.pii.* keys in timeline entries, log lines, stream entries and webhook bodies.

/** Fields every entry has whose digits are a time or a random id, never anyone's number. */
const STRUCTURAL = new Set(['at', 'time', 'createdAt', 'transferId', 'id', 'hostname', 'pid']);

/** Lower case without the separators numbers and names are written with: "+1 (512) 555-0000" → "15125550000". */
const normalise = (text: string): string => text.toLowerCase().replace(/[\s().+_*-]/g, '');

/** A phone number is looked for by its 10 national digits, so "(512) 555-0000" is found for "+15125550000". */
const needle = (personal: string): string => {
  const n = normalise(personal);
  return /^\d{11,}$/.test(n) ? n.slice(-10) : n;
};

/**
 * Every plain (not `lk.pii.*`) string field of `records`, at any depth, that holds one of `personal` in any
 * format: "path: value", for a failure message that says where. An empty list is the pass.
 */
export function personalDataOutsidePii(records: readonly unknown[], personal: readonly string[]): string[] {
  const needles = personal.map(needle);
  const found: string[] = [];
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'string') {
      const text = normalise(value);
      if (needles.some((n) => text.includes(n))) found.push(`${path}: ${value}`);
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, `${path}[${i}]`));
    } else if (value !== null && typeof value === 'object') {
      for (const [key, v] of Object.entries(value)) {
        if (key.startsWith('lk.pii.') || STRUCTURAL.has(key)) continue;
        // A JSON body inside a field (a webhook's raw body) is walked as what it holds.
        const parsed = typeof v === 'string' && /^[{[]/.test(v) ? tryParse(v) : undefined;
        walk(parsed ?? v, `${path}.${key}`);
      }
    }
  };
  records.forEach((record, i) => walk(record, `[${i}]`));
  return found;
}

function tryParse(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
