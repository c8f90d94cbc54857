import { describe, expect, it } from 'vitest';
import { modalText, slackText } from '../../src/bot/slack-errors.js';
import { DomainError, person, sentence } from '../../src/core/errors.js';

describe('domain errors as a person reads them in Slack', () => {
  const claimed = new DomainError(
    'TASK_ALREADY_CLAIMED',
    sentence`TMS-7 is already claimed by ${person('U0ANA')}`,
    {
      taskId: 'TMS-7',
      holder: 'U0ANA',
    },
  );

  it('mentions people by their user id, names a source as it is, and says someone for nobody', () => {
    expect(slackText(claimed)).toBe('TMS-7 is already claimed by <@U0ANA>');
    expect(
      slackText(
        new DomainError(
          'TASK_ALREADY_RESOLVED',
          sentence`TMS-8 was already resolved by ${person('alertmanager')}`,
        ),
      ),
    ).toBe('TMS-8 was already resolved by alertmanager');
    expect(
      slackText(
        new DomainError('TASK_ALREADY_RESOLVED', sentence`TMS-9 was already resolved by ${person(null)}`),
      ),
    ).toBe('TMS-9 was already resolved by someone');
  });

  it('escapes what someone typed, so it pings and links nothing', () => {
    const typed = '<!channel> <@U0EVIL> <https://evil.example|ok>';
    const error = new DomainError('INVALID_INPUT', `"${typed}" is not a task id such as TMS-42 or 42`, {
      input: typed,
    });
    expect(slackText(error)).toBe(
      '"&lt;!channel&gt; &lt;@U0EVIL&gt; &lt;https://evil.example|ok&gt;" is not a task id such as TMS-42 or 42',
    );
    // A person whose "id" is typed text is not a mention either.
    expect(slackText(new DomainError('NO_CHANGE', sentence`assigned to ${person('<!here>')}`))).toBe(
      'assigned to &lt;!here&gt;',
    );
  });

  it('writes people as @U… in a modal field error, which is plain text', () => {
    expect(modalText(claimed)).toBe('TMS-7 is already claimed by @U0ANA');
    expect(claimed.message).toBe('TMS-7 is already claimed by U0ANA');
  });
});
