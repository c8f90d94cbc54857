/** `npm run replay`: see ./replay-command.ts. */
import { replayCommand } from './replay-command.js';

const { lines, error, code } = await replayCommand(process.argv.slice(2), process.env);
for (const line of lines) console.log(line);
if (error) console.error(error);
process.exitCode = code;
