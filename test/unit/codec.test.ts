import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config';
import {
  AesGcmCodec,
  type CodecKey,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  newCodecKeyEntry,
  parseCodecKeys,
} from '../../src/temporal/codec';

const key = (id: string): CodecKey => ({ id, key: randomBytes(32) });
const toPayload = (value: unknown) => defaultPayloadConverter.toPayload(value);
const fromPayload = (payload: Parameters<typeof defaultPayloadConverter.fromPayload>[0]) =>
  defaultPayloadConverter.fromPayload(payload);
const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

describe('the AES-GCM payload codec', () => {
  const customer = { customerId: 'cust-1', email: 'max@example.com', comment: 'the parcel came late' };

  it('round-trips a payload, and what it stores carries no plaintext', async () => {
    const codec = new AesGcmCodec([key('k1')]);
    const [encrypted] = await codec.encode([toPayload(customer)]);
    expect(text(encrypted!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encrypted!.metadata![KEY_ID_METADATA])).toBe('k1');
    expect(Object.keys(encrypted!.metadata!).sort()).toEqual(['encoding', KEY_ID_METADATA].sort());
    for (const secret of ['max@example.com', 'parcel', 'json/plain'])
      expect(text(encrypted!.data)).not.toContain(secret);
    const [decoded] = await codec.decode([encrypted!]);
    expect(fromPayload(decoded!)).toEqual(customer);
  });

  it('uses a fresh IV every time: the same value never encrypts the same way twice', async () => {
    const codec = new AesGcmCodec([key('k1')]);
    const [a, b] = await codec.encode([toPayload(customer), toPayload(customer)]);
    expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
  });

  it('after rotation (new key first), data written with the old key still decodes and new data uses the new key', async () => {
    const old = key('2025');
    const [written] = await new AesGcmCodec([old]).encode([toPayload(customer)]);
    const rotated = new AesGcmCodec([key('2026'), old]);
    expect(fromPayload((await rotated.decode([written!]))[0]!)).toEqual(customer);
    const [fresh] = await rotated.encode([toPayload(customer)]);
    expect(text(fresh!.metadata![KEY_ID_METADATA])).toBe('2026');
  });

  it('refuses a payload whose key ID it does not have, naming the ID', async () => {
    const [written] = await new AesGcmCodec([key('gone')]).encode([toPayload(customer)]);
    await expect(new AesGcmCodec([key('k2')]).decode([written!])).rejects.toThrow(/key ID "gone".*TEMPORAL_CODEC_KEYS/);
  });

  it('refuses altered ciphertext, and a payload relabelled with another key ID', async () => {
    const [k1, k2] = [key('k1'), key('k2')];
    const codec = new AesGcmCodec([k1, k2]);
    const [written] = await codec.encode([toPayload(customer)]);
    const tampered = Buffer.from(written!.data!);
    tampered[20]! ^= 1;
    await expect(codec.decode([{ ...written!, data: tampered }])).rejects.toThrow(/failed authentication/);
    // Same bytes under the other ID: a different key, and the ID is authenticated data.
    const relabelled = { ...written!, metadata: { ...written!.metadata, [KEY_ID_METADATA]: Buffer.from('k2') } };
    await expect(codec.decode([relabelled])).rejects.toThrow(/failed authentication/);
    await expect(codec.decode([{ ...written!, data: tampered.subarray(0, 10) }])).rejects.toThrow(/too short/);
  });

  it('passes unencrypted payloads through, so histories from before the codec still decode', async () => {
    const codec = new AesGcmCodec([key('k1')]);
    const plain = [toPayload(customer), toPayload(undefined), toPayload(Buffer.from('bytes'))];
    expect(await codec.decode(plain)).toEqual(plain);
  });

  it('keeps the inner metadata and empty data exactly (undefined and binary payloads)', async () => {
    const codec = new AesGcmCodec([key('k1')]);
    const inputs = [toPayload(undefined), toPayload(new Uint8Array([0, 1, 255])), toPayload('')];
    const decoded = await codec.decode(await codec.encode(inputs));
    expect(decoded.map(fromPayload)).toEqual([undefined, new Uint8Array([0, 1, 255]), '']);
  });
});

describe('TEMPORAL_CODEC_KEYS', () => {
  it('parses a list, the first key encrypting', () => {
    const entry = newCodecKeyEntry('new');
    const keys = parseCodecKeys(`${entry}, ${newCodecKeyEntry('old')}`);
    expect(keys.map((k) => k.id)).toEqual(['new', 'old']);
    expect(keys.every((k) => k.key.length === 32)).toBe(true);
    expect(loadConfig({ TEMPORAL_CODEC_KEYS: entry }).temporal.codecKeys?.[0]?.id).toBe('new');
    expect(loadConfig({}).temporal.codecKeys).toBeUndefined();
  });

  it.each([
    ['no key ID', `:${randomBytes(32).toString('base64')}`, /entry 1: <key id>:<base64 key>/],
    ['a short key', `k1:${randomBytes(16).toString('base64')}`, /entry 1 \(key ID "k1"\): the key must be 32 bytes/],
    ['not base64', 'k1:not*base64', /32 bytes in base64/],
    ['a repeated ID', `${newCodecKeyEntry('k1')},${newCodecKeyEntry('k1')}`, /"k1" is listed twice/],
    ['only commas', ',,', /at least one/],
  ])('refuses %s at start, naming the variable and never echoing a key', (_what, value, message) => {
    let error: unknown;
    try {
      loadConfig({ TEMPORAL_CODEC_KEYS: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/TEMPORAL_CODEC_KEYS: /);
    expect((error as Error).message).toMatch(message);
    const secret = value.split(':')[1]?.split(',')[0];
    if (secret && secret.length > 8) expect((error as Error).message).not.toContain(secret);
  });

  it('TEMPORAL_UI_ORIGIN is an origin, without a path', () => {
    expect(loadConfig({ TEMPORAL_UI_ORIGIN: 'https://temporal.example.com' }).temporal.uiOrigin).toBe(
      'https://temporal.example.com',
    );
    expect(() => loadConfig({ TEMPORAL_UI_ORIGIN: 'https://temporal.example.com/' })).toThrow(
      /TEMPORAL_UI_ORIGIN: an origin/,
    );
    expect(() => loadConfig({ TEMPORAL_UI_ORIGIN: 'temporal.example.com' })).toThrow(/TEMPORAL_UI_ORIGIN/);
  });
});
