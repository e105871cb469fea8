import fc from 'fast-check';
import { DEFAULT_CONFIG } from '../../cdk/lib/config';
import { type ApiTarget, type AuthorizedRequest, authorizeRequest } from '../../cdk/ops/api-request';
import type { ClientErrorCode } from '../../lambdas/domain/errors';

/** Invalid POST /items requests (the contract's HTTP API) for `npm run fuzz`, and the check of each answer. */

/** The HTTP API defaults of the contract, which the local deployment runs with. */
export const MAX_ITEMS = DEFAULT_CONFIG.maxItemsPerRequest;
export const MAX_BODY_BYTES = DEFAULT_CONFIG.maxBodyBytes;

/**
 * RFC 8259 section 9 lets a parser limit nesting depth and number length, and gateway parsers do
 * (MiniStack's stops near 1,000 levels and 4,300 digits): beyond these, the gateway's
 * MALFORMED_JSON is a correct answer too.
 */
const STRICT_DEPTH = 512;
const STRICT_NUMBER_LENGTH = 512;

export const CATEGORIES = [
  'malformed-json',
  'deep-nesting',
  'huge-numbers',
  'floats',
  'strings',
  'nulls',
  'booleans',
  'objects',
  'mixed-array',
  'empty-array',
  'too-many-items',
  'oversize-body',
  'content-type',
  'idempotency-key',
  'api-key',
] as const;

export type Category = (typeof CATEGORIES)[number];

export type ExpectedStatus = 400 | 413 | 415 | 403;

export interface FuzzCase {
  readonly category: Category;
  /** The kind of bad input within the category, for reports. */
  readonly variant: string;
  readonly body: string;
  /** Lower-case names; `fuzzRequest` adds the deployment's authorization to every case but the 403 ones. */
  readonly headers: Readonly<Record<string, string>>;
  readonly expectedStatus: ExpectedStatus;
  readonly expectedCodes: readonly string[];
  /** The element an INVALID_ITEM answer must name. */
  readonly index?: number;
}

/** What API Gateway's templated 403 says (README, HTTP API). */
export const API_KEY_CODES: readonly string[] = ['INVALID_API_KEY', 'MISSING_AUTHENTICATION_TOKEN'];

/** The contract's HTTP API, written out here rather than taken from the product so the two are checked against each other. */
const STATUS_OF: Record<ClientErrorCode, 400 | 413 | 415> = {
  MALFORMED_JSON: 400,
  NOT_AN_ARRAY: 400,
  EMPTY_ARRAY: 400,
  INVALID_ITEM: 400,
  INVALID_IDEMPOTENCY_KEY: 400,
  TOO_MANY_ITEMS: 413,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
};

const JSON_HEADERS: Readonly<Record<string, string>> = { 'content-type': 'application/json' };

const bytesOf = (text: string): number => Buffer.byteLength(text, 'utf8');

/** True when the deepest nesting or the longest digit run may meet a gateway parser's limits. */
function mayExceedParserLimits(body: string): boolean {
  let depth = 0;
  let deepest = 0;
  let digits = 0;
  let longestDigits = 0;
  for (let i = 0; i < body.length; i += 1) {
    const char = body.charCodeAt(i);
    if (char === 0x5b || char === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (char === 0x5d || char === 0x7d) depth -= 1;
    digits = char >= 0x30 && char <= 0x39 ? digits + 1 : 0;
    longestDigits = Math.max(longestDigits, digits);
  }
  return deepest > STRICT_DEPTH || longestDigits > STRICT_NUMBER_LENGTH;
}

interface CaseOptions {
  readonly headers?: Readonly<Record<string, string>>;
  readonly index?: number;
}

/** A case the ingest function must reject with `code` (the gateway's own rejections are built apart). */
function rejectedAs(
  category: Category,
  variant: string,
  body: string,
  code: ClientErrorCode,
  { headers = JSON_HEADERS, index }: CaseOptions = {},
): FuzzCase {
  const expectedCodes =
    code !== 'MALFORMED_JSON' && mayExceedParserLimits(body) ? [code, 'MALFORMED_JSON'] : [code];
  return {
    category,
    variant,
    body,
    headers,
    expectedStatus: STATUS_OF[code],
    expectedCodes,
    ...(index === undefined ? {} : { index }),
  };
}

const malformed = (variant: string, body: string): FuzzCase =>
  rejectedAs('malformed-json', variant, body, 'MALFORMED_JSON');

const parses = (text: string): boolean => {
  try {
    // As the server sees it: lone surrogates become U+FFFD on the way.
    JSON.parse(Buffer.from(text, 'utf8').toString('utf8'));
    return true;
  } catch {
    return false;
  }
};

/** Splices `literal` into a list of safe integers at `at` (modulo its length + 1). */
const spliced = (items: readonly number[], literal: string, at: number): { list: string; index: number } => {
  const index = at % (items.length + 1);
  return {
    list: [...items.slice(0, index).map(String), literal, ...items.slice(index).map(String)].join(','),
    index,
  };
};

const safeInteger = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
const someItems = (minLength: number, maxLength: number) => fc.array(safeInteger, { minLength, maxLength });
/** A body the function accepts: the cases that carry it are invalid by a header alone. */
const validBody = someItems(1, 20).map((items) => JSON.stringify(items));
const jsonWhitespace = (maxLength: number) =>
  fc.string({ unit: fc.constantFrom(' ', '\t', '\n', '\r'), maxLength });

// Malformed JSON: every body here fails JSON.parse.

const truncated = fc
  .array(fc.jsonValue({ maxDepth: 2 }), { minLength: 1, maxLength: 10 })
  .map((values) => JSON.stringify(values))
  // A proper prefix of a compact array lacks its closing bracket.
  .chain((text) => fc.nat(text.length - 1).map((end) => malformed('truncated', text.slice(0, end))));

const trailingComma = fc
  .tuple(someItems(1, 10), fc.constantFrom('end', 'start', 'double', 'object', 'after'))
  .map(([items, where]) => {
    const list = items.join(',');
    const bodies = {
      end: `[${list},]`,
      start: `[,${list}]`,
      double: `[${items[0]},,${items.slice(1).join(',')}]`,
      object: `{"items":[${list}],}`,
      after: `[${list}],`,
    };
    return malformed(`trailing-comma ${where}`, bodies[where]);
  });

const NON_JSON_NUMBERS = [
  'NaN',
  'Infinity',
  '-Infinity',
  '+Infinity',
  'nan',
  'inf',
  '+1',
  '01',
  '-01',
  '.5',
  '1.',
  '0x1F',
  '1e',
  '-',
  '1_000',
  'undefined',
];
const nonJsonNumber = fc
  .tuple(someItems(0, 10), fc.constantFrom(...NON_JSON_NUMBERS), fc.nat(), fc.boolean())
  .map(([items, literal, at, bare]) =>
    malformed(`literal ${literal}`, bare ? literal : `[${spliced(items, literal, at).list}]`),
  );

const singleQuotes = fc
  .tuple(
    someItems(0, 5),
    fc.string({ unit: 'grapheme-ascii', maxLength: 10 }).map((text) => text.replace(/['\\]/g, '')),
    fc.constantFrom('element', 'number', 'object', 'whole'),
  )
  .map(([items, text, where]) => {
    const list = items.join(',');
    const bodies = {
      element: `['${text}']`,
      number: `[${list}${list ? ',' : ''}'${items[0] ?? 1}']`,
      object: `{'items':[${list}]}`,
      whole: `'[${list}]'`,
    };
    return malformed(`single-quotes ${where}`, bodies[where]);
  });

const byteOrderMark = fc
  .tuple(someItems(1, 10), fc.boolean())
  .map(([items, inside]) =>
    inside
      ? malformed('bom inside', `[${items[0]},\uFEFF${items.slice(1).join(',') || '0'}]`)
      : malformed('bom', `\uFEFF${JSON.stringify(items)}`),
  );

const controlCharacter = fc
  .tuple(someItems(1, 5), fc.integer({ min: 0, max: 0x1f }), fc.boolean())
  .map(([items, code, inString]) => {
    const char = String.fromCharCode(code);
    // Tab, LF and CR are JSON whitespace between tokens; inside a string every control character is invalid.
    const betweenTokens = [0x09, 0x0a, 0x0d].includes(code) ? '\u000b' : char;
    return inString
      ? malformed('control-char in string', `["a${char}b",${items.join(',')}]`)
      : malformed('control-char between tokens', `[${items[0]},${betweenTokens}${items.join(',')}]`);
  });

const randomBytes = fc
  .oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  )
  .filter((text) => !parses(text))
  .map((text) => malformed('random-bytes', text));

const malformedJson = fc.oneof(
  truncated,
  trailingComma,
  nonJsonNumber,
  singleQuotes,
  byteOrderMark,
  controlCharacter,
  randomBytes,
);

// Bad values: each literal is valid JSON but not a safe integer.

/** `length` digits, the first not 0, from a repeated random block. */
const digitString = (min: number, max: number) =>
  fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min, max }), fc.nat()).map(([first, length, block]) =>
    `${first}${String(block)
      .padStart(10, '0')
      .repeat(Math.ceil(length / 10))}`.slice(0, length),
  );

const hugeNumber = fc.oneof(
  fc.constantFrom(
    '9007199254740992',
    '9007199254740993',
    '-9007199254740993',
    '18446744073709551616',
    '1e16',
    '2e53',
    '1E+300',
    '1e400',
    '-1e309',
  ),
  // 17 digits or more are at least 1e16, past Number.MAX_SAFE_INTEGER.
  fc.tuple(fc.constantFrom('', '-'), digitString(17, 40)).map(([sign, digits]) => sign + digits),
  fc.tuple(fc.constantFrom('', '-'), digitString(41, 12_000)).map(([sign, digits]) => sign + digits),
);

const float = fc.oneof(
  fc
    .double({ noNaN: true, noDefaultInfinity: true })
    .filter((n) => !Number.isInteger(n))
    .map((n) => JSON.stringify(n)),
  // x.5 is exact below 2^52, so it never rounds to an integer.
  fc.integer({ min: -(2 ** 51), max: 2 ** 51 }).map((n) => `${n}.5`),
);

const jsonString = fc
  .oneof(
    fc.string({ unit: 'grapheme', maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    safeInteger.map(String),
  )
  .map((text) => JSON.stringify(text));

const nullLiteral = fc.constant('null');
const booleanLiteral = fc.constantFrom('true', 'false');

const jsonObject = fc.oneof(
  fc.constant('{}'),
  fc
    .dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 })
    .map((value) => JSON.stringify(value)),
  someItems(1, 5).map((items) => JSON.stringify({ items })),
);

/** The bare value (NOT_AN_ARRAY), or an array of such values (INVALID_ITEM at 0). */
const valueCases = (category: Category, literal: fc.Arbitrary<string>): fc.Arbitrary<FuzzCase> =>
  fc.oneof(
    literal.map((value) => rejectedAs(category, 'bare', value, 'NOT_AN_ARRAY')),
    fc
      .array(literal, { minLength: 1, maxLength: 5 })
      .map((values) =>
        rejectedAs(category, 'in-array', `[${values.join(',')}]`, 'INVALID_ITEM', { index: 0 }),
      ),
  );

const badElement = fc.oneof(
  hugeNumber.map((literal) => ['huge-number', literal] as const),
  float.map((literal) => ['float', literal] as const),
  jsonString.map((literal) => ['string', literal] as const),
  nullLiteral.map((literal) => ['null', literal] as const),
  booleanLiteral.map((literal) => ['boolean', literal] as const),
  jsonObject.map((literal) => ['object', literal] as const),
  fc.constantFrom('[]', '[1]', '[[0]]').map((literal) => ['array', literal] as const),
);

/** Up to MAX_ITEMS elements (at most 18 bytes each), all safe integers but one. */
const mixedArray = fc
  .tuple(someItems(0, MAX_ITEMS - 1), badElement, fc.nat())
  .map(([items, [kind, literal], at]) => {
    const { list, index } = spliced(items, literal, at);
    return rejectedAs('mixed-array', `bad ${kind}`, `[${list}]`, 'INVALID_ITEM', { index });
  });

const deepNesting = fc
  .tuple(
    someItems(0, 5),
    fc.oneof(
      fc.integer({ min: 1, max: 64 }),
      fc.integer({ min: 65, max: STRICT_DEPTH }),
      fc.integer({ min: STRICT_DEPTH + 1, max: 32_000 }),
    ),
    fc.constantFrom('arrays', 'objects', 'arrays to the limit'),
  )
  .map(([items, depth, shape]) => {
    const head = `[${items.map((item) => `${item},`).join('')}`;
    if (shape === 'objects') {
      const levels = Math.min(depth, 10_000);
      return rejectedAs(
        'deep-nesting',
        shape,
        `${head}${'{"a":'.repeat(levels)}0${'}'.repeat(levels)}]`,
        'INVALID_ITEM',
        {
          index: items.length,
        },
      );
    }
    // 'to the limit' nests as deep as fits and pads to exactly MAX_BODY_BYTES, still accepted in size.
    const levels = shape === 'arrays' ? depth : Math.floor((MAX_BODY_BYTES - head.length - 1) / 2);
    const nested = `${'['.repeat(levels)}${']'.repeat(levels)}`;
    const padding = shape === 'arrays' ? '' : ' '.repeat(MAX_BODY_BYTES - head.length - nested.length - 1);
    return rejectedAs('deep-nesting', shape, `${head}${nested}${padding}]`, 'INVALID_ITEM', {
      index: items.length,
    });
  });

const emptyArray = fc
  .tuple(jsonWhitespace(5), jsonWhitespace(5), jsonWhitespace(5))
  .map(([before, inside, after]) =>
    rejectedAs('empty-array', 'empty', `${before}[${inside}]${after}`, 'EMPTY_ARRAY'),
  );

const tooManyItems = fc.oneof(
  fc
    .array(fc.integer({ min: -999, max: 999 }), { minLength: MAX_ITEMS + 1, maxLength: MAX_ITEMS + 100 })
    .map((items) => rejectedAs('too-many-items', 'just over', JSON.stringify(items), 'TOO_MANY_ITEMS')),
  // 2n + 1 bytes: up to 32,767 one-digit items still fit the body limit.
  fc
    .integer({ min: MAX_ITEMS + 1, max: Math.floor((MAX_BODY_BYTES - 1) / 2) })
    .map((count) => rejectedAs('too-many-items', 'many', `[${'7,'.repeat(count - 1)}7]`, 'TOO_MANY_ITEMS')),
);

const oversize = (variant: string, body: string): FuzzCase =>
  rejectedAs('oversize-body', variant, body, 'PAYLOAD_TOO_LARGE');

const oversizeBody = fc.oneof(
  fc
    .tuple(
      validBody,
      fc.integer({ min: 1, max: 128 * 1024 }),
      fc.constantFrom(' ', '\n', '\t', '\r'),
      fc.nat(),
    )
    .map(([body, extra, space, split]) => {
      const padding = MAX_BODY_BYTES - bytesOf(body) + extra;
      const before = split % (padding + 1);
      return oversize(
        'whitespace padding',
        `${space.repeat(before)}${body}${space.repeat(padding - before)}`,
      );
    }),
  validBody.map((body) => oversize('one byte over', body.padEnd(MAX_BODY_BYTES + 1, ' '))),
  // 2n + 1 bytes: from 32,768 one-digit items the body is over the limit.
  fc
    .integer({ min: MAX_BODY_BYTES / 2, max: 60_000 })
    .map((count) => oversize('many items', `[${'1,'.repeat(count - 1)}1]`)),
  // Fewer characters than the limit but more bytes: a length check on characters would let it through.
  fc.tuple(fc.constantFrom('é', '日', '😀'), fc.nat(4096)).map(([char, extra]) => {
    const count = Math.ceil((MAX_BODY_BYTES - 3) / bytesOf(char)) + extra;
    return oversize(`multibyte ${char}`, `["${char.repeat(count)}"]`);
  }),
);

const WRONG_CONTENT_TYPES = [
  'text/plain',
  'text/plain; charset=utf-8',
  'application/xml',
  'text/xml',
  'multipart/form-data; boundary=fuzz',
  'application/x-www-form-urlencoded',
  'application/json-patch+json',
  'applicationjson',
  'application/jsonl',
  'application/ld+json',
  'text/json',
  'application/octet-stream',
  '',
];

const contentType = fc
  .tuple(validBody, fc.constantFrom<string | null>(null, ...WRONG_CONTENT_TYPES))
  .map(([body, type]) =>
    rejectedAs('content-type', type === null ? 'missing' : `"${type}"`, body, 'UNSUPPORTED_MEDIA_TYPE', {
      headers: type === null ? {} : { 'content-type': type },
    }),
  );

const KEY_CHARS = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-'];
const keyPart = (minLength: number, maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...KEY_CHARS), minLength, maxLength });

const badIdempotencyKey = fc.oneof(
  fc.constant(['empty', ''] as const),
  keyPart(129, 300).map((key) => ['129 or more', key] as const),
  // Spaces only inside: fetch trims them at the ends, which could leave a valid key.
  fc.tuple(keyPart(1, 40), keyPart(1, 40)).map(([a, b]) => ['space', `${a} ${b}`] as const),
  fc
    .tuple(keyPart(0, 40), fc.constantFrom('é', 'ß', '\u00a0', 'ı', 'Ａ', '日本', '😀'), keyPart(0, 40))
    .map(([a, char, b]) => ['unicode', `${a}${char}${b}`] as const),
  fc
    .tuple(keyPart(0, 40), fc.constantFrom(...'!"#$%&\'()*+,./:;<=>?@[\\]^`{|}~'), keyPart(0, 40))
    .map(([a, char, b]) => ['punctuation', `${a}${char}${b}`] as const),
);

const idempotencyKey = fc.tuple(validBody, badIdempotencyKey).map(([body, [variant, key]]) =>
  rejectedAs('idempotency-key', variant, body, 'INVALID_IDEMPOTENCY_KEY', {
    headers: { ...JSON_HEADERS, 'idempotency-key': key },
  }),
);

const HEX = [...'0123456789abcdef'];
const apiKey = fc
  .tuple(
    validBody,
    fc.oneof(
      fc.constant(['missing', undefined] as const),
      fc.constant(['empty', ''] as const),
      // "fuzz" is not hex, so the key cannot be a real one by chance.
      fc
        .string({ unit: fc.constantFrom(...HEX), minLength: 28, maxLength: 28 })
        .map((hex) => ['wrong', `fuzz${hex}`] as const),
    ),
  )
  .map(
    ([body, [variant, key]]): FuzzCase => ({
      category: 'api-key',
      variant,
      body,
      headers: key === undefined ? JSON_HEADERS : { ...JSON_HEADERS, 'x-api-key': key },
      expectedStatus: 403,
      expectedCodes: API_KEY_CODES,
    }),
  );

const ARBITRARIES: Record<Category, fc.Arbitrary<FuzzCase>> = {
  'malformed-json': malformedJson,
  'deep-nesting': deepNesting,
  'huge-numbers': valueCases('huge-numbers', hugeNumber),
  floats: valueCases('floats', float),
  strings: valueCases('strings', jsonString),
  nulls: valueCases('nulls', nullLiteral),
  booleans: valueCases('booleans', booleanLiteral),
  objects: valueCases('objects', jsonObject),
  'mixed-array': mixedArray,
  'empty-array': emptyArray,
  'too-many-items': tooManyItems,
  'oversize-body': oversizeBody,
  'content-type': contentType,
  'idempotency-key': idempotencyKey,
  'api-key': apiKey,
};

/** `count` cases, the categories in rotation (case i is of CATEGORIES[i % 15]); the same for the same seed. */
export function fuzzCases(count: number, seed: number): FuzzCase[] {
  const perCategory = CATEGORIES.map((category, k) => {
    const runs = Math.ceil((count - k) / CATEGORIES.length);
    return runs > 0 ? fc.sample(ARBITRARIES[category], { seed: (seed + k) | 0, numRuns: runs }) : [];
  });
  return Array.from({ length: count }, (_, i) => {
    const fuzzCase = perCategory[i % CATEGORIES.length]?.[Math.floor(i / CATEGORIES.length)];
    if (!fuzzCase) throw new Error(`no case ${i} generated`);
    return fuzzCase;
  });
}

/**
 * What to send for a case: its header values as their UTF-8 bytes (fetch writes header values as
 * Latin-1 and refuses wider characters) and a Buffer body (so fetch adds no Content-Type of its own to
 * the cases without one), with the deployment's authorization (api-request.ts) unless the case is about
 * the key: that one goes without, no key or no signature. A signature leaves the case's own headers
 * out: bytes beyond ASCII are not certain to be read alike at both ends.
 */
export function fuzzRequest(target: ApiTarget, fuzzCase: FuzzCase): Promise<AuthorizedRequest> {
  const request = {
    method: 'POST',
    url: target.apiUrl,
    headers: Object.fromEntries(
      Object.entries(fuzzCase.headers).map(([name, value]) => [
        name,
        Buffer.from(value, 'utf8').toString('latin1'),
      ]),
    ),
    body: Buffer.from(fuzzCase.body, 'utf8'),
  };
  return fuzzCase.expectedStatus === 403
    ? Promise.resolve(request)
    : authorizeRequest(target, { ...request, unsignedHeaders: Object.keys(fuzzCase.headers) });
}

/** Sends a case as `fuzzRequest` makes it. */
export async function postFuzzCase(
  target: ApiTarget,
  fuzzCase: FuzzCase,
  timeoutMs: number,
  http: typeof fetch = fetch,
): Promise<{ status: number; text: string }> {
  const { url, method, headers, body } = await fuzzRequest(target, fuzzCase);
  const response = await http(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, text: await response.text() };
}

const excerpt = (text: string): string =>
  JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}...` : text);

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** What is wrong with an answer to a case, or undefined when it is the expected error. */
export function checkResponse(fuzzCase: FuzzCase, status: number, bodyText: string): string | undefined {
  let json: unknown;
  let isJson = true;
  try {
    json = JSON.parse(bodyText);
  } catch {
    isJson = false;
  }
  const error = isRecord(json) && isRecord(json.error) ? json.error : undefined;
  const code = typeof error?.code === 'string' ? error.code : undefined;
  const expected = `${fuzzCase.expectedStatus} ${fuzzCase.expectedCodes.join('|')}`;
  if (status !== fuzzCase.expectedStatus) {
    return `status ${status} ${code ?? excerpt(bodyText)}, expected ${expected}`;
  }
  if (!isJson) return `body is not JSON: ${excerpt(bodyText)}`;
  if (code === undefined || typeof error?.message !== 'string') {
    return `body is not {"error":{"code","message"}}: ${excerpt(bodyText)}`;
  }
  if (!fuzzCase.expectedCodes.includes(code)) return `code ${code}, expected ${expected}`;
  if (code === 'INVALID_ITEM' && error.index !== fuzzCase.index) {
    return `INVALID_ITEM index ${JSON.stringify(error.index)}, expected ${fuzzCase.index}`;
  }
  return undefined;
}
