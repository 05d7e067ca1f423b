// X-Twilio-Signature for the Media Streams upgrade: HMAC-SHA1 over the URL (then each POST
// parameter, sorted by name, name+value) keyed with the auth token, base64. The upgrade is a
// GET, so Twilio signs the wss:// URL with no parameters. Computed with node:crypto rather than
// the twilio package so a load test does not pay for loading the whole SDK.
import { createHmac } from 'node:crypto';

export const MEDIA_STREAM_PATH = '/ws/twilio-media';

export function twilioSignature(
  authToken: string,
  url: string,
  params: Readonly<Record<string, string>> = {},
): string {
  let data = url;
  for (const key of Object.keys(params).sort()) data += key + params[key];
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/**
 * The URL Twilio signs for the upgrade: `publicUrl` as given when it has a scheme (http(s) is
 * turned into ws(s)), or `wss://<publicUrl><MEDIA_STREAM_PATH>` when it is a bare host.
 */
export function mediaStreamSignatureUrl(publicUrl: string): string {
  if (!/^[a-z]+:\/\//i.test(publicUrl)) return `wss://${publicUrl.replace(/\/+$/, '')}${MEDIA_STREAM_PATH}`;
  const u = new URL(publicUrl);
  if (u.protocol === 'https:') u.protocol = 'wss:';
  else if (u.protocol === 'http:') u.protocol = 'ws:';
  if (u.pathname === '/' || u.pathname === '') u.pathname = MEDIA_STREAM_PATH;
  return u.toString();
}

/**
 * Where to connect: `url` with the media-stream path added when it has none (so
 * `ws://localhost:8080` works), http(s) turned into ws(s).
 */
export function mediaStreamConnectUrl(url: string): string {
  const u = new URL(/^[a-z]+:\/\//i.test(url) ? url : `ws://${url}`);
  if (u.protocol === 'https:') u.protocol = 'wss:';
  else if (u.protocol === 'http:') u.protocol = 'ws:';
  if (u.protocol !== 'ws:' && u.protocol !== 'wss:') throw new Error(`unsupported URL scheme in ${url}`);
  if (u.pathname === '/' || u.pathname === '') u.pathname = MEDIA_STREAM_PATH;
  return u.toString();
}
