import type { OpenApiDocument } from './openapi-document';

/**
 * The API reference page's content, read from the generated OpenAPI document so that the page,
 * the document and the validation can never say different things.
 */
type Json = Record<string, unknown>;

interface Parameter {
  name: string;
  in: string;
  required: boolean;
  description?: string;
  schema: Json;
}

/** A schema in one line: its type or `$ref` name, with its limits. */
function brief(schema: Json): string {
  if (typeof schema.$ref === 'string') return schema.$ref.split('/').pop()!;
  const parts: string[] = [];
  if (Array.isArray(schema.enum)) parts.push(`one of ${schema.enum.join(', ')}`);
  else if (typeof schema.type === 'string') parts.push(schema.type);
  else if (Array.isArray(schema.anyOf)) parts.push((schema.anyOf as Json[]).map(brief).join(' or '));
  if (typeof schema.format === 'string') parts.push(schema.format);
  for (const [key, label] of [
    ['minLength', 'min length'],
    ['maxLength', 'max length'],
    ['minimum', 'min'],
    ['maximum', 'max'],
    ['pattern', 'pattern'],
    ['default', 'default'],
  ] as const)
    if (schema[key] !== undefined) parts.push(`${label} ${String(schema[key])}`);
  return parts.join(', ') || 'any';
}

const pretty = (schema: unknown) => JSON.stringify(schema, null, 2);

function curlOf(baseUrl: string, method: string, path: string, body: 'json' | 'csv' | undefined): string {
  const url = `${baseUrl}${path}`.replace(/\{(\w+)\}/g, '<$1>');
  const lines = [`curl -X ${method.toUpperCase()} '${url}'`, `-H "Authorization: Bearer $CXLOOP_API_KEY"`];
  if (body === 'json') lines.push(`-H 'content-type: application/json'`, `--data @body.json`);
  if (body === 'csv') lines.push(`-H 'content-type: text/csv'`, `--data-binary @customers.csv`);
  return lines.join(' \\\n  ');
}

export function apiReference(document: OpenApiDocument, baseUrl: string) {
  const byTag = new Map<string, Json[]>();
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, raw] of Object.entries(operations)) {
      const op = raw as Json & { tags: string[]; parameters?: Parameter[]; responses: Record<string, Json> };
      const requestBody = op.requestBody as
        { required: boolean; content: Record<string, { schema: Json }> } | undefined;
      const [bodyType, bodyMedia] = requestBody ? Object.entries(requestBody.content)[0]! : [];
      const body = bodyType === undefined ? undefined : bodyType === 'text/csv' ? ('csv' as const) : ('json' as const);
      const anchor = `${method}-${path}`.replace(/[^A-Za-z0-9]+/g, '-');
      const entry = {
        anchor,
        method: method.toUpperCase(),
        path,
        summary: op.summary,
        description: op.description,
        parameters: (op.parameters ?? []).map((p) => ({ ...p, brief: brief(p.schema) })),
        body: requestBody && {
          type: bodyType,
          required: requestBody.required,
          schema: body === 'json' ? pretty(bodyMedia!.schema) : undefined,
        },
        responses: Object.entries(op.responses).map(([status, r]) => {
          const content = r.content as Record<string, { schema: Json }> | undefined;
          const [type, media] = content ? Object.entries(content)[0]! : [];
          const schema = media?.schema;
          return {
            status,
            description: r.description,
            type,
            ref: typeof schema?.$ref === 'string' ? brief(schema) : undefined,
            schema: type === 'application/json' && schema && !schema.$ref ? pretty(schema) : undefined,
          };
        }),
        curl: curlOf(baseUrl, method, path, body),
      };
      const tag = op.tags[0] ?? 'Other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), entry]);
    }
  }
  return {
    description: document.info.description,
    tags: [...byTag].map(([name, operations]) => ({ name, operations })),
    components: Object.entries(document.components.schemas).map(([name, schema]) => ({
      name,
      schema: pretty(schema),
    })),
  };
}
