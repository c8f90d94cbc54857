/**
 * Text that Slack renders. Everything a person or a source typed passes through `escapeMrkdwn` before it is put
 * in mrkdwn, so `<!channel>`, `<@U…>` or `<https://evil|https://good>` in a title shows as typed and
 * pings or forges nothing. Slack asks for exactly these three entities and no others.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Slash-command text arrives with `&`, `<` and `>` encoded; the task stores what the person typed. */
export function decodeEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

/** At most `max` characters, cut at a character boundary, marked with an ellipsis. */
export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** A user mention: only ever for ids TMS checked, never for text someone typed. */
export function mention(userId: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(userId) ? `<@${userId}>` : escapeMrkdwn(userId);
}

/**
 * A time every reader sees in their own time zone: Slack's `<!date^epoch^format|fallback>` token.
 * `format` uses Slack's tokens ({date_short_pretty}, {time}, {ago}...).
 */
export function slackDate(iso: string, format = '{date_short_pretty} {time}'): string {
  const epoch = Math.floor(Date.parse(iso) / 1000);
  const fallback = `${iso.slice(0, 16).replace('T', ' ')} UTC`;
  return `<!date^${epoch}^${format}|${fallback}>`;
}

/** A link whose label is escaped and whose URL cannot close the link token early. */
export function link(url: string, label: string): string {
  let safe: string;
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return escapeMrkdwn(label);
    safe = parsed.toString();
  } catch {
    return escapeMrkdwn(label);
  }
  return `<${safe.replace(/[<>|]/g, encodeURIComponent)}|${escapeMrkdwn(label).replace(/\|/g, '¦')}>`;
}
