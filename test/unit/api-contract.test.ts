import SwaggerParser from '@apidevtools/swagger-parser';
import { describe, expect, it } from 'vitest';
import { API_OPERATIONS } from '../../src/web/api-contract';
import { openApiDocument } from '../../src/web/openapi-document';
import { contractProblems, operationFor } from '../support/contract';

const json = 'application/json; charset=utf-8';

describe('the API contract', () => {
  it('when the document is generated, then it is a valid OpenAPI 3.1 document', async () => {
    await expect(SwaggerParser.validate(structuredClone(openApiDocument()) as never)).resolves.toBeTruthy();
  });

  it('when routes are listed, then each method and path appears once', () => {
    const keys = API_OPERATIONS.map((op) => `${op.method} ${op.path}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('when a request schema carries limits, then the document carries them too', () => {
    const doc = openApiDocument();
    const customer = doc.components.schemas.CustomerInput as { properties: Record<string, Record<string, unknown>> };
    expect(customer.properties.id).toMatchObject({ maxLength: 200, pattern: '^[A-Za-z0-9._:@/+-]+$' });
    const put = doc.paths['/api/programs/{id}']!.put as { requestBody: { required: boolean } };
    expect(put.requestBody.required).toBe(true);
    const routing = doc.paths['/api/routing']!.put as {
      requestBody: { content: { 'application/json': { schema: { required: string[] } } } };
    };
    expect(routing.requestBody.content['application/json'].schema.required).toContain('teams');
  });

  it('when a literal path and a template both match, then the literal one is chosen', () => {
    expect(operationFor('GET', '/api/metrics/journeys/p1.csv')?.template).toBe('/api/metrics/journeys/{programId}.csv');
    expect(operationFor('GET', '/api/metrics/journeys/p1')?.template).toBe('/api/metrics/journeys/{programId}');
    expect(operationFor('POST', '/api/events:batch')?.template).toBe('/api/events:batch');
  });

  it('when an answer matches its documented schema, then there is no problem', () => {
    const body = JSON.stringify({ eventId: 'e1', status: 'accepted' });
    expect(contractProblems('POST', '/api/events', 202, json, body)).toEqual([]);
  });

  it('when an answer breaks the document, then each problem is named', () => {
    const wrong = JSON.stringify({ eventId: 'e1', status: 'maybe' });
    expect(contractProblems('POST', '/api/events', 202, json, wrong).join()).toMatch(/status must be equal to one/);
    expect(contractProblems('POST', '/api/events', 418, json, '{}').join()).toMatch(/418 is not documented/);
    expect(contractProblems('PATCH', '/api/events', 200, json, '{}').join()).toMatch(/not in the OpenAPI document/);
    expect(contractProblems('GET', '/api/export/cases.csv', 200, json, '{}').join()).toMatch(/documented as CSV/);
    expect(contractProblems('DELETE', '/api/keys/0123456789abcdef', 204, null, 'x').join()).toMatch(/without a body/);
  });

  it('when an unknown API route answers its JSON 404, then that is in the contract', () => {
    expect(contractProblems('GET', '/api/nothing-here', 404, json, '{"error":"no route"}')).toEqual([]);
  });
});
