/**
 * `npm run token`: a JWT for the local API, claims shaped as a Cognito ID token's, signed HS256 with
 * TMS_JWT_SECRET (default: the development secret `npm start` prints). `npm run token -- --help` says how.
 */
import { parseArgs } from 'node:util';
import { ROLES, type Role } from '../src/core/rbac.js';
import { formatDuration, parseDuration } from '../src/core/time.js';
import { signDevToken } from '../src/local/dev-token.js';
import { DEV_SECRETS } from '../src/local/stack.js';

const USAGE = `Usage: npm run token -- --role ${ROLES.join('|')} [--user U…] [--ttl 1h] [--secret …]

Print a JWT for the local API's /api/*, shaped as a Cognito ID token (cognito:groups, custom:slack_user_id,
sub, token_use, iat, exp) and signed HS256, as TMS reads Cognito's tokens on AWS:

  curl -s http://127.0.0.1:3000/api/tasks -H "authorization: Bearer $(npm run -s token -- --role viewer --user U09VIEW)"

Options:
  --role ROLE     admin, developer or viewer (its Cognito group)
  --user U…       the Slack user the caller acts as (custom:slack_user_id); without it, the token's sub
  --ttl DURATION  how long it is good for, such as 15m, 1h, 7d (default 1h)
  --secret TEXT   the signing key (default: TMS_JWT_SECRET, else the development secret npm start prints)
  -h, --help      this text`;

const parse = () =>
  parseArgs({
    options: {
      role: { type: 'string' },
      user: { type: 'string' },
      ttl: { type: 'string', default: '1h' },
      secret: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
let parsed: ReturnType<typeof parse>;
try {
  parsed = parse();
} catch (error) {
  console.error(`${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
const { values } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const refuse = (message: string): never => {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
};
const role = values.role as Role | undefined;
if (!role || !ROLES.includes(role))
  refuse(`--role is ${role ? `"${role}"` : 'missing'}: say ${ROLES.join(', ')}`);
if (values.user !== undefined && !/^[UW][A-Z0-9]{2,20}$/.test(values.user))
  refuse(`--user "${values.user}" is not a Slack user id such as U09VIEW`);
const ttlMs = parseDuration(values.ttl as string);
if (ttlMs === undefined || ttlMs <= 0) refuse(`--ttl "${values.ttl}" is not a duration such as 15m or 1h`);
const secret = values.secret || process.env.TMS_JWT_SECRET || DEV_SECRETS.TMS_JWT_SECRET;

const token = await signDevToken({
  role: role as Role,
  ...(values.user ? { user: values.user } : {}),
  ttlMs: ttlMs as number,
  secret,
  now: new Date(),
});
console.log(token);
console.error(
  `(${role}${values.user ? ` as ${values.user}` : ''}, good for ${formatDuration(ttlMs as number)})`,
);
