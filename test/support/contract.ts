import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import { openApiDocument } from '../../src/web/openapi-document';

/**
 * The API's answers checked against its OpenAPI document: the route and the status must be
 * documented, and a JSON body must match the documented schema. The shared `api()` helper runs
 * this on every call, so a route that answers something its contract does not say fails the test.
 */
const document = openApiDocument();
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

interface Response {
  description: string;
  content?: Record<string, { schema: Record<string, unknown> }>;
}
type Operation = { responses: Record<string, Response> };

/** Path templates as patterns; a more literal template wins (`/journeys/{id}.csv` before `/journeys/{id}`). */
const templates = Object.keys(document.paths)
  .map((template) => ({
    template,
    pattern: new RegExp(
      `^${template
        .split(/\{\w+\}/)
        .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('[^/]+')}$`,
    ),
    literal: template.replace(/\{\w+\}/g, '').length,
  }))
  .sort((a, b) => b.literal - a.literal);

const validators = new Map<string, ValidateFunction>();
/** The components travel with each schema, so `#/components/schemas/…` resolves as in the document. */
function validatorFor(key: string, schema: Record<string, unknown>): ValidateFunction {
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile({ ...schema, components: document.components });
    validators.set(key, validate);
  }
  return validate;
}

export function operationFor(method: string, path: string): { template: string; operation: Operation } | undefined {
  const match = templates.find((t) => t.pattern.test(path));
  if (!match) return undefined;
  const operation = (document.paths[match.template] as Record<string, Operation | undefined>)[method.toLowerCase()];
  return operation && { template: match.template, operation };
}

/** What is wrong with an answer, by the document; empty when it matches. */
export function contractProblems(
  method: string,
  url: string,
  status: number,
  contentType: string | null,
  text: string,
): string[] {
  const path = new URL(url, 'http://x').pathname;
  const found = operationFor(method, decodeURIComponent(path));
  const where = `${method} ${path} → ${status}`;
  if (!found) {
    // An unknown route answers the API's 404 error, which the document's description promises.
    if (status === 404 || status === 405) return checkJson('Error', { $ref: '#/components/schemas/Error' });
    return [`${where}: the route is not in the OpenAPI document`];
  }
  const response = found.operation.responses[String(status)];
  if (!response) return [`${where}: status ${status} is not documented for ${method} ${found.template}`];
  const media = response.content ? Object.keys(response.content)[0] : undefined;
  if (!media) return text === '' ? [] : [`${where}: documented without a body, but one came`];
  if (media === 'text/csv')
    return contentType?.startsWith('text/csv') ? [] : [`${where}: documented as CSV, but came as ${contentType}`];
  return checkJson(`${method} ${found.template} ${status}`, response.content![media]!.schema);

  function checkJson(key: string, schema: Record<string, unknown>): string[] {
    if (!contentType?.startsWith('application/json')) return [`${where}: expected JSON, got ${contentType}`];
    const validate = validatorFor(key, schema);
    if (validate(JSON.parse(text))) return [];
    return (validate.errors ?? []).map((e) => `${where}: body${e.instancePath} ${e.message} (${e.schemaPath})`);
  }
}
