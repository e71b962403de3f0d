// The errors the model answers with, shaped as livekit-server-sdk shapes a Twirp error (ServerError: name,
// message, HTTP status, Twirp code), so the product's checks (room-api.ts: 404 means 'no_room',
// isNotImplemented) read them as they read a real server's.
import { ServerError } from 'livekit-server-sdk';

export const notFound = (message: string): ServerError => new ServerError('Not Found', message, 404, 'not_found');

/** A 5xx: the server failed, or timed out, at the request. */
export const unavailable = (message = 'service unavailable'): ServerError => new ServerError('Service Unavailable', message, 503, 'unavailable');

/** What the open-source server answers MoveParticipant with (livekit/livekit issue 4203). */
export const notImplemented = (): ServerError => new ServerError('Not Implemented', 'not implemented', 501, 'unimplemented');

export const refused = (message: string): ServerError => new ServerError('Precondition Failed', message, 412, 'failed_precondition');

/** Any call a killed job's process still makes (its code runs on in the test's process; the real one would not). */
export const processDead = (job: string): Error => new Error(`process dead (${job})`);
