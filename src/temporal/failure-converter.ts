/**
 * The failure converter of every cxloop process and of the workflow bundle: failure messages and
 * stack traces go into a failure's encoded attributes, a payload the codec encrypts, instead of
 * plain fields of the history (an SMTP or driver error can quote a customer's address).
 *
 * Bundled into the workflow sandbox and also `require()`d by the SDK in Node, outside tsx in the
 * tests: keep it to this import and to plain JavaScript syntax (no type annotations), which Node
 * (>= 20.19) loads as an ES module.
 */
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
