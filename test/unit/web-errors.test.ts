import { type BulkWriteResult, MongoBulkWriteError, MongoNetworkError, MongoServerError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { toHttpError } from '../../src/web/errors';

describe('a database error as the HTTP answer', () => {
  it('a connection lost mid-insertMany (the driver wraps it in a bulk write error) is a 503 with Retry-After', () => {
    const lost = new MongoBulkWriteError(
      new MongoNetworkError('connection 3 to 127.0.0.1 closed'),
      {} as BulkWriteResult,
    );
    expect(toHttpError(lost)).toMatchObject({ status: 503, headers: { 'Retry-After': '5' } });
  });

  it('a bulk write refused by the data (a duplicate key) stays a 500', () => {
    const duplicate = new MongoBulkWriteError(
      { message: 'E11000 duplicate key error', code: 11000, writeErrors: [] },
      {} as BulkWriteResult,
    );
    expect(toHttpError(duplicate).status).toBe(500);
    expect(toHttpError(new MongoServerError({ ok: 0, errmsg: 'E11000 duplicate key error' })).status).toBe(500);
  });
});
