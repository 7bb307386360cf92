/**
 * The fixed payload-codec keys of the test suite (never a production key): every harness, launched
 * process and test client encrypts with the first, so the whole suite runs through the codec.
 */
export const TEST_CODEC_KEYS =
  'test2:q1Uc6xFqz1H0aV6dmR2kQm3m4W9pZ1cG8n0a7QeJ2rY=,test1:8vQbJ3c6m0Zt2oX5pL9rW1sE4dF7gH0jK3lM6nB9vC2=';
