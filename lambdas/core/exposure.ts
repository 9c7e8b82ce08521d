/**
 * Exposures (issue 22): a live key's value seen where it must not be. Every source goes through
 * one pipeline (`KeyService.exposed`): the key is marked exposed once (when and where it was first
 * seen), an `key.exposed` audit record names the source and the location, and the key stops
 * working at once (revoked; the Automator key, which cannot be revoked, rotated). No Node-only
 * import: the console reads the shapes too.
 */

/** Where a key can be found exposed. */
export const EXPOSURE_SOURCES = [
  /** The bots' leak guard: a key posted in a Slack or Teams conversation. */
  'chat',
  /** GitHub's secret scanning partner program: a key pushed to a public repository. */
  'github',
  /** A key sent in a URL (query or path), which access logs keep. */
  'url',
  /** A key sent where a key id or stored text belongs. */
  'id_slot',
  /** Someone reported it (`POST /v1/keys/{id}/report-exposed`, the console, the bots). */
  'report',
] as const;
export type ExposureSource = (typeof EXPOSURE_SOURCES)[number];

export interface Exposure {
  source: ExposureSource;
  /** Where: a repository file URL, a channel link, a route, a reporter's words. Never the key. */
  location: string;
}

/** What a key carries once it was found exposed: the first time, and where. */
export interface ExposureRecord extends Exposure {
  /** ISO time it was first seen exposed. */
  at: string;
}

/** Longest location kept (a URL or a sentence; longer ones are cut). */
export const MAX_EXPOSURE_LOCATION = 500;
