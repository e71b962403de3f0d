// The settings service's hold music bounds come from its environment once, at start-up, with every problem
// named at once: the duration cap in seconds and the organization quota in MiB.
import { describe, expect, it } from 'vitest';
import { DEFAULT_UPLOAD_LIMITS, uploadLimitsFromEnv } from '../../settings-service/upload-limits.ts';

describe('uploadLimitsFromEnv', () => {
  it('defaults to 10 minutes and 256 MiB', () => {
    expect(uploadLimitsFromEnv({})).toEqual({ ok: true, limits: DEFAULT_UPLOAD_LIMITS });
    expect(DEFAULT_UPLOAD_LIMITS).toMatchObject({ maxDurationMs: 600_000, organizationMusicBytes: 256 * 1024 * 1024 });
  });

  it('reads both settings', () => {
    expect(uploadLimitsFromEnv({ SETTINGS_HOLD_MUSIC_MAX_S: '120', SETTINGS_MUSIC_QUOTA_MB: '10' })).toEqual({
      ok: true,
      limits: { ...DEFAULT_UPLOAD_LIMITS, maxDurationMs: 120_000, organizationMusicBytes: 10 * 1024 * 1024 },
    });
  });

  it('names every problem at once', () => {
    expect(uploadLimitsFromEnv({ SETTINGS_HOLD_MUSIC_MAX_S: '5', SETTINGS_MUSIC_QUOTA_MB: 'lots' })).toEqual({
      ok: false,
      problems: [
        "SETTINGS_HOLD_MUSIC_MAX_S must be a whole number from 10 to 3600, not '5'",
        "SETTINGS_MUSIC_QUOTA_MB must be a whole number from 1 to 1048576, not 'lots'",
      ],
    });
  });
});
