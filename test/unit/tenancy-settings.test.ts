// The settings service's tenancy settings, read from the environment once at start-up: the agent quota
// per organization and the ids only the administrator creates. A bad value stops the service, named.
import { describe, expect, it } from 'vitest';
import { creationRefusal, tenancyFromEnv } from '../../settings-service/tenancy.ts';

describe('tenancyFromEnv', () => {
  it('defaults to 100 agents per organization and reserves the default agent id', () => {
    const tenancy = tenancyFromEnv({});
    expect(tenancy.maxAgentsPerOrganization).toBe(100);
    expect([...tenancy.reservedAgentIds]).toEqual(['warm-transfer-agent']);
  });

  it("reserves the service's AGENT_NAME and the listed ids too", () => {
    const tenancy = tenancyFromEnv({
      SETTINGS_MAX_AGENTS_PER_ORGANIZATION: '5',
      AGENT_NAME: 'acme.main',
      SETTINGS_RESERVED_AGENT_IDS: ' lobby , globex.front ,',
    });
    expect(tenancy.maxAgentsPerOrganization).toBe(5);
    expect([...tenancy.reservedAgentIds].sort()).toEqual(['acme.main', 'globex.front', 'lobby', 'warm-transfer-agent']);
    expect(creationRefusal({ kind: 'organization', organizationId: 'acme' }, 'acme.main', tenancy)).toMatch(/reserved/);
    expect(creationRefusal({ kind: 'admin' }, 'acme.main', tenancy)).toBeUndefined();
  });

  it.each(['0', '-1', '1.5', 'ten', '1e3', '1000000'])('refuses SETTINGS_MAX_AGENTS_PER_ORGANIZATION=%s, naming it', (value) => {
    expect(() => tenancyFromEnv({ SETTINGS_MAX_AGENTS_PER_ORGANIZATION: value })).toThrow(
      `SETTINGS_MAX_AGENTS_PER_ORGANIZATION must be a whole number from 1 to 999999, not '${value}'`,
    );
  });
});
