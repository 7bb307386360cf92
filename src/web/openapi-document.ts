import { z } from 'zod';
import { ZCaseCondition } from '../domain/case-rules';
import { ZSegment } from '../domain/segment';
import { API_OPERATIONS, type ApiOperation, type ApiResponse, TEMPORAL_DOWN, err } from './api-contract';
import * as R from './api-responses';
import { ZCustomerInput, ZEventInput } from '../app/schemas';

/**
 * The OpenAPI 3.1 document, generated from the contract's table with zod's own JSON Schema
 * output: served at `GET /api/openapi.json`, shown at `/admin/api`, and used by the tests to
 * check every answer.
 */

/** The answers any route may give, besides its own. */
function commonResponses(op: ApiOperation): Record<number, ApiResponse> {
  const responses: Record<number, ApiResponse> = {};
  if (op.params || op.query || op.body)
    responses[400] = err('Invalid input; `error` says which field and why, `details` lists each');
  responses[401] = err('Missing, unknown, revoked or expired API key');
  responses[403] = err("The key's scopes do not allow this route, or the key is restricted to teams");
  if (op.body) responses[413] = err('The request body is too large');
  responses[429] = err('Too many requests for this key; retry after `Retry-After` seconds');
  responses[500] = err('Unexpected; `error` carries an error ID the log shows next to the cause');
  responses[503] = err(`MongoDB or ${TEMPORAL_DOWN}`);
  return responses;
}

export const responsesOf = (op: ApiOperation): Record<number, ApiResponse> => ({
  ...commonResponses(op),
  ...op.responses,
});

/** Components worth a name: the schemas integrations meet in several places. */
const REQUEST_COMPONENTS: [z.ZodType, string][] = [
  [ZEventInput, 'Event'],
  [ZCaseCondition, 'CaseCondition'],
  [ZSegment, 'Segment'],
  [ZCustomerInput, 'CustomerInput'],
];
const RESPONSE_COMPONENTS: [z.ZodType, string][] = [
  [R.ZError, 'Error'],
  [R.ZEventOutcome, 'EventOutcome'],
  [R.ZCustomer, 'Customer'],
  [R.ZInvitation, 'Invitation'],
  [R.ZReply, 'Reply'],
  [R.ZStoredProgram, 'Program'],
  [R.ZCampaign, 'Campaign'],
  [R.ZCampaignProgress, 'CampaignProgress'],
  [R.ZImport, 'Import'],
  [R.ZCase, 'Case'],
  [R.ZUser, 'User'],
  [R.ZApiKeyView, 'ApiKey'],
  [R.ZJourney, 'Journey'],
  [R.ZRoutingView, 'Routing'],
];

type JsonSchema = Record<string, unknown>;

/**
 * Converts schemas in one pass (so that named ones become `$ref`s to components): requests as
 * their input type, answers as their output type. Unnamed schemas come back inline.
 */
function convert(
  io: 'input' | 'output',
  named: [z.ZodType, string][],
  inline: z.ZodType[],
): { components: Record<string, JsonSchema>; schemaOf: (schema: z.ZodType) => JsonSchema } {
  const registry = z.registry<{ id: string }>();
  for (const [schema, id] of named) registry.add(schema, { id });
  const anonymous = new Map<z.ZodType, string>();
  for (const schema of inline) {
    if (registry.has(schema) || anonymous.has(schema)) continue;
    const id = `__inline${anonymous.size}`;
    anonymous.set(schema, id);
    registry.add(schema, { id });
  }
  const { schemas } = z.toJSONSchema(registry, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  });
  const INLINE = '#/components/schemas/__inline';
  // An unnamed schema nested in another (a page's items, a report's part) is written out in place.
  const expand = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(expand);
    if (typeof value !== 'object' || value === null) return value;
    const ref = (value as { $ref?: unknown }).$ref;
    if (typeof ref === 'string' && ref.startsWith(INLINE)) return clean(schemas[ref.slice(INLINE.length - 8)]!);
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, expand(inner)]));
  };
  const clean = (schema: JsonSchema): JsonSchema => {
    const { $schema: _s, $id: _i, ...rest } = schema;
    return expand(
      JSON.parse(
        JSON.stringify(rest).replaceAll('#/components/schemas/__shared#/$defs/', `#/components/schemas/${io}-`),
      ),
    ) as JsonSchema;
  };
  const components: Record<string, JsonSchema> = {};
  for (const [, id] of named) components[id] = clean(schemas[id] as JsonSchema);
  // Recursive schemas (case rule conditions) come as `$defs` of a shared entry; each becomes a component.
  const shared = (schemas.__shared as { $defs?: Record<string, JsonSchema> } | undefined)?.$defs ?? {};
  for (const [id, schema] of Object.entries(shared)) components[`${io}-${id}`] = clean(schema);
  return {
    components,
    schemaOf: (schema) => {
      const namedId = named.find(([s]) => s === schema)?.[1];
      if (namedId) return { $ref: `#/components/schemas/${namedId}` };
      return clean(schemas[anonymous.get(schema)!] as JsonSchema);
    },
  };
}

/** `{id}`-style path parameters and query fields, each with its schema and description. */
function parametersOf(
  location: 'path' | 'query',
  objectSchema: JsonSchema | undefined,
): { name: string; in: string; required: boolean; description?: string; schema: JsonSchema }[] {
  if (!objectSchema) return [];
  const properties = (objectSchema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((objectSchema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, schema]) => {
    const { description, ...rest } = schema;
    return {
      name,
      in: location,
      required: location === 'path' || required.has(name),
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

const operationIdOf = (op: ApiOperation) =>
  op.method +
  op.path
    .replace(/^\/api/, '')
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((word) => word[0]!.toUpperCase() + word.slice(1))
    .join('');

const API_DESCRIPTION =
  'Events in, survey programs, customers, invitations, replies and cases out. Every route needs `Authorization: Bearer <api key>` with a scope that allows it: `events:write` (events), `read` (GET routes), `write` (customers, programs, campaigns, fixes, case actions), `admin` (everything, including users, keys, webhooks, routing and the outbox). A key restricted to teams (`teams` at creation) reads, exports and acts on the cases of those teams only (403 on another team’s case) and is refused (403) on every other route except this document. Every error is JSON `{ "error": "…", "details": … }`; an unknown `/api` route is a 404 in the same form. Generated from the zod schemas the routes validate with.';

function buildDocument() {
  const ops = API_OPERATIONS;
  const requestSchemas = ops.flatMap((op) => [
    ...(op.params ? [op.params] : []),
    ...(op.query ? [op.query] : []),
    ...(op.body && op.body !== 'csv' ? [op.body] : []),
  ]);
  const responseSchemas = ops.flatMap((op) =>
    Object.values(responsesOf(op)).flatMap((r) => (r.schema ? [r.schema] : [])),
  );
  const requests = convert('input', REQUEST_COMPONENTS, requestSchemas);
  const answers = convert('output', RESPONSE_COMPONENTS, responseSchemas);

  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of ops) {
    const parameters = [
      ...parametersOf('path', op.params && requests.schemaOf(op.params)),
      ...parametersOf('query', op.query && requests.schemaOf(op.query)),
    ];
    const responses = Object.fromEntries(
      Object.entries(responsesOf(op)).map(([status, r]) => [
        status,
        {
          description: r.description,
          ...(r.csv
            ? { content: { 'text/csv': { schema: { type: 'string' } } } }
            : r.schema
              ? { content: { 'application/json': { schema: answers.schemaOf(r.schema) } } }
              : {}),
        },
      ]),
    );
    const scopes = op.scopes.join(', ');
    (paths[op.path] ??= {})[op.method] = {
      operationId: operationIdOf(op),
      tags: [op.tag],
      summary: op.summary,
      description: [
        op.description,
        `Key scopes: ${scopes}${op.teamKeys ? '; team-restricted keys too' : ''} (admin keys may use every route).`,
      ]
        .filter(Boolean)
        .join('\n\n'),
      'x-scopes': op.scopes,
      ...(op.teamKeys ? { 'x-team-keys': true } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(op.body
        ? {
            requestBody: {
              required: op.bodyRequired ?? false,
              content:
                op.body === 'csv'
                  ? { 'text/csv': { schema: { type: 'string' } } }
                  : { 'application/json': { schema: requests.schemaOf(op.body) } },
            },
          }
        : {}),
      responses,
    };
  }
  const tags = [...new Set(ops.map((op) => op.tag))].map((name) => ({ name }));
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: { title: 'cxloop API', version: '1', description: API_DESCRIPTION },
    security: [{ apiKey: [] }],
    tags,
    paths,
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key' } },
      schemas: { ...requests.components, ...answers.components },
    },
  };
}

export type OpenApiDocument = ReturnType<typeof buildDocument>;

let built: OpenApiDocument | undefined;
/** Built once, on first use: the table does not change while the process runs. */
export function openApiDocument(): OpenApiDocument {
  return (built ??= buildDocument());
}
