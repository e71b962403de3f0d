// npm run rules -- <settings file or folder>: the transfer plan of every agent, read back in plain words,
// as the worker will obey it. Exits 1 (with every problem listed) when the settings would not start.
import { readBack } from './read-back.ts';
import { loadSettings, SettingsError } from '../settings.ts';

const path = process.argv[2];
if (!path || process.argv.length > 3) {
  console.error('usage: npm run rules -- <settings file or folder>');
  process.exit(2);
}
try {
  const settings = await loadSettings(path);
  for (const agent of settings.agents.values()) {
    console.log(`agent ${agent.agentId} (${agent.file}):`);
    for (const line of readBack(agent.warmTransfer.plan)) console.log(`  ${line}`);
  }
} catch (error) {
  if (!(error instanceof SettingsError)) throw error;
  console.error(error.message);
  process.exit(1);
}
