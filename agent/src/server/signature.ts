// X-Twilio-Signature checks. Always against URLs built from the configured PUBLIC_HOST (behind
// a proxy or load balancer the pod's own Host header is not what Twilio signed).
import twilio from 'twilio';
import type { Config } from '../config/schema.ts';

/**
 * Used when TWILIO_AUTH_TOKEN is empty and no PUBLIC_HOST is set (local use): it is public, so
 * requests signed with it are accepted only from loopback peers (a warning is logged at boot).
 */
export const LOCAL_DEV_AUTH_TOKEN = 'local-dev-auth-token';

export const MEDIA_STREAM_PATH = '/ws/twilio-media';
export const VOICE_WEBHOOK_PATH = '/webhook/voice';
export const STREAM_STATUS_PATH = '/webhook/stream_status';

export function effectiveAuthToken(configured: string): string {
  return configured === '' ? LOCAL_DEV_AUTH_TOKEN : configured;
}

export class InsecureConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InsecureConfigError';
  }
}

export interface TwilioAuth {
  /** The token signatures and stream tokens are computed with. */
  readonly authToken: string;
  /** Only the development token is configured: signed requests count only from loopback peers. */
  readonly loopbackOnly: boolean;
}

/**
 * Decides how requests are authenticated, or refuses to start. A public host means Twilio (and
 * anyone else) can reach the agent: without a real auth token the development token, which is in
 * this source file, would let anyone start paid calls.
 */
export function resolveTwilioAuth(
  config: Pick<Config, 'twilioAuthToken' | 'twilioSignatureValidation' | 'publicHost'>,
): TwilioAuth {
  if (config.twilioAuthToken !== '') return { authToken: config.twilioAuthToken, loopbackOnly: false };
  if (config.twilioSignatureValidation && config.publicHost !== '') {
    throw new InsecureConfigError(
      `PUBLIC_HOST=${config.publicHost} is set but TWILIO_AUTH_TOKEN is empty: refusing to start, because anyone could sign requests with the public development token. ` +
        'Set TWILIO_AUTH_TOKEN (VoiceAgent spec.twilio.authTokenSecretRef), or set TWILIO_SIGNATURE_VALIDATION=false to run without request authentication on purpose.',
    );
  }
  return { authToken: LOCAL_DEV_AUTH_TOKEN, loopbackOnly: true };
}

/** The https URL Twilio requests for a webhook path (Twilio drops the port for https; validateRequest tries both). */
export function webhookUrl(publicHost: string, path: string): string {
  return `https://${publicHost}${path}`;
}

/** The wss URL of the media stream as written into TwiML (no query string, by design). */
export function mediaStreamUrl(publicHost: string): string {
  return `wss://${publicHost}${MEDIA_STREAM_PATH}`;
}

/** Validates a webhook: HMAC-SHA1 over the URL followed by the sorted POST parameters. */
export function isValidWebhookSignature(
  authToken: string,
  signature: string | undefined,
  url: string,
  params: Readonly<Record<string, unknown>>,
): boolean {
  if (signature === undefined || signature === '') return false;
  return twilio.validateRequest(authToken, signature, url, params as Record<string, unknown>);
}

/**
 * Validates the WebSocket handshake (a GET): signed over the wss URL with no parameters. Twilio's
 * docs suggest also accepting the URL with a trailing slash.
 */
export function isValidUpgradeSignature(
  authToken: string,
  signature: string | undefined,
  publicHost: string,
): boolean {
  if (signature === undefined || signature === '') return false;
  const url = mediaStreamUrl(publicHost);
  return (
    twilio.validateRequest(authToken, signature, url, {}) ||
    twilio.validateRequest(authToken, signature, `${url}/`, {})
  );
}

/** Computes a signature the way Twilio does (for the caller simulator and tests). */
export function signTwilioRequest(
  authToken: string,
  url: string,
  params: Readonly<Record<string, unknown>> = {},
): string {
  return twilio.getExpectedTwilioSignature(authToken, url, params as Record<string, unknown>);
}
