/**
 * The codec endpoint Temporal's Web UI calls to show encrypted payloads decoded: `POST /codec/decode`
 * and `POST /codec/encode`, each taking and answering `{ payloads: [{ metadata: { key: base64 },
 * data: base64 }] }` (Temporal's codec-server protocol), and the same under `/codec/cli/` for the
 * Temporal CLI. It hands out plaintext, so only signed-in admins (the UI) or admin API keys (the
 * CLI) may call it.
 */
import type { Client } from '@temporalio/client';
import type { Payload, PayloadCodec } from '@temporalio/common';
import express, { type ErrorRequestHandler, type RequestHandler, Router } from 'express';
import type { Db, MongoClient } from 'mongodb';
import { z } from 'zod';
import { allowPublic, allowRoles, allowScopes } from '../access';
import { requireApiKey, requireUser } from '../auth';
import { AppError } from '../../app/errors';
import { HttpError, fromAppError } from '../errors';
import { sessionMiddleware } from '../sessions';
import { parseInput } from '../../app/validation';

export interface CodecRouterDeps {
  db: Db;
  mongoClient: MongoClient;
  /** The web's own Temporal client: the endpoint uses exactly the codecs its data converter has. */
  temporal: Client;
  sessionSecret: string;
  /** The public base URL is https (the session cookie is then `Secure`). */
  secure: boolean;
  /** The Web UI's origin (TEMPORAL_UI_ORIGIN): the only one CORS lets call with the admin's cookie. */
  temporalUiOrigin?: string;
}

/** Temporal refuses payloads over 2 MB; a UI request carries one event's payloads or a page of them. */
const BODY_LIMIT = '8mb';
const MAX_PAYLOADS = 1000;
const base64 = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
const ZPayload = z.object({
  // Protobuf's JSON form leaves out an empty map and empty bytes.
  metadata: z
    .record(z.string().min(1).max(256), base64(64 * 1024))
    .refine((m) => Object.keys(m).length <= 64, { message: 'at most 64 metadata entries' })
    .default({}),
  data: base64(4 * 1024 * 1024).optional(),
});
const ZPayloads = z.object({ payloads: z.array(ZPayload).max(MAX_PAYLOADS) });
type JsonPayload = z.infer<typeof ZPayload>;

const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data ?? '', 'base64'),
});
const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

export function codecRouter(deps: CodecRouterDeps): Router {
  const codecs = deps.temporal.options.loadedDataConverter.payloadCodecs;
  const router = Router();
  router.use(corsFor(deps.temporalUiOrigin));
  router.options(
    ['/decode', '/encode'],
    allowPublic('CORS preflight: answers only the configured Temporal UI origin and carries no data'),
    preflight(deps.temporalUiOrigin),
  );
  const signedInAdmin = [
    sessionMiddleware({
      client: deps.mongoClient,
      dbName: deps.db.databaseName,
      secret: deps.sessionSecret,
      secure: deps.secure,
    }),
    requireUser(deps.db),
    allowRoles('admin'),
    express.json({ limit: BODY_LIMIT }),
  ];
  router.post('/decode', ...signedInAdmin, transform(codecs, decodeAll));
  router.post('/encode', ...signedInAdmin, transform(codecs, encodeAll));
  // The CLI (`temporal workflow show --codec-endpoint …/codec/cli --codec-auth 'Bearer <key>'`) has
  // no browser session: an admin API key instead, on paths of its own so each route has one access rule.
  const adminKey = [requireApiKey(deps.db), allowScopes('admin'), express.json({ limit: BODY_LIMIT })];
  router.post('/cli/decode', ...adminKey, transform(codecs, decodeAll));
  router.post('/cli/encode', ...adminKey, transform(codecs, encodeAll));
  router.use(jsonErrors);
  return router;
}

/** Runs the body's payloads through the codecs; never logs them. */
function transform(
  codecs: readonly PayloadCodec[],
  run: (codecs: readonly PayloadCodec[], payloads: Payload[]) => Promise<Payload[]>,
): RequestHandler {
  return async (req, res) => {
    // Without keys, "encode" would hand back plaintext that looks encoded: say so instead.
    if (codecs.length === 0) throw new HttpError(404, 'no payload codec is configured here (TEMPORAL_CODEC_KEYS)');
    if (!req.is('application/json')) throw new HttpError(415, 'send the payloads as application/json');
    const { payloads } = parseInput(ZPayloads, req.body, 'payloads');
    let result: Payload[];
    try {
      result = await run(codecs, payloads.map(fromJson));
    } catch (err) {
      // An unknown key ID or an altered payload: the caller's input, said without echoing it.
      throw new HttpError(400, (err as Error).message);
    }
    res.json({ payloads: result.map(toJson) });
  };
}

/** Encoding applies the codecs in order, decoding in reverse, as the SDK's data converter does. */
async function encodeAll(codecs: readonly PayloadCodec[], payloads: Payload[]): Promise<Payload[]> {
  for (const codec of codecs) payloads = await codec.encode(payloads);
  return payloads;
}

async function decodeAll(codecs: readonly PayloadCodec[], payloads: Payload[]): Promise<Payload[]> {
  for (const codec of [...codecs].reverse()) payloads = await codec.decode(payloads);
  return payloads;
}

/** The Web UI runs on its own origin and calls with the admin's cookie: that one origin, with credentials. */
function corsFor(origin: string | undefined): RequestHandler {
  return (req, res, next) => {
    res.vary('Origin');
    if (origin && req.get('origin') === origin) {
      res.set({ 'Access-Control-Allow-Origin': origin, 'Access-Control-Allow-Credentials': 'true' });
    }
    next();
  };
}

function preflight(origin: string | undefined): RequestHandler {
  return (req, res) => {
    if (!origin || req.get('origin') !== origin) {
      res.status(403).json({ error: 'this origin may not call the codec endpoint (set TEMPORAL_UI_ORIGIN)' });
      return;
    }
    res
      .set({
        'Access-Control-Allow-Methods': 'POST',
        // The UI sends the namespace, and its own access token when configured to.
        'Access-Control-Allow-Headers': 'Content-Type, X-Namespace, Authorization',
        'Access-Control-Max-Age': '600',
      })
      .status(204)
      .end();
  };
}

/** A JSON error, whatever the caller's Accept header says: the UI and the CLI read the message. */
const jsonErrors: ErrorRequestHandler = (err, _req, res, next) => {
  const type = (err as { type?: string }).type;
  const error =
    err instanceof HttpError
      ? err
      : err instanceof AppError
        ? fromAppError(err)
        : type === 'entity.too.large'
          ? new HttpError(413, 'the request body is too large')
          : type === 'entity.parse.failed'
            ? new HttpError(400, 'the request body is not valid JSON')
            : undefined;
  if (!error || res.headersSent) return next(err);
  res.status(error.status).set(error.headers).json({ error: error.message });
};
