/** `npm run redrive`: see ./redrive-command.ts. */
import { redriveCommand } from './redrive-command.js';

const { lines, error, code } = await redriveCommand(process.argv.slice(2), process.env);
for (const line of lines) console.log(line);
if (error) console.error(error);
process.exitCode = code;
