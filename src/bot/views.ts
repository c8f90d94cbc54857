import type { View } from '@slack/web-api';
import { Bits, Blocks, Elements, HomeTab, Modal } from 'slack-block-builder';
import { cut } from '../core/bounds.js';
import type { Config } from '../core/config.js';
import { PRIORITIES, type Task } from '../core/task.js';
import { taskActions, taskLine, taskRef, type Viewer } from './card.js';
import { homeShiftsBlocks, type ViewerShifts } from './home-shifts.js';
import { ACTION_ID, CALLBACK_ID, INPUT_ID } from './ids.js';
import { fitView, mrkdwn } from './text.js';

/** `/tms new` with nothing after it: everything a task needs, in a form. */
export function newTaskModal(config: Config, channel: string): View {
  // An option's value is at most 150 characters: a longer name could not be sent back.
  const services = Object.keys(config.services).filter((s) => s.length <= 150);
  return fitView(
    Modal({
      title: 'New task',
      submit: 'Open task',
      close: 'Cancel',
      callbackId: CALLBACK_ID.newTask,
      privateMetaData: JSON.stringify({ channel }),
    })
      .blocks(
        Blocks.Input({ label: 'Title', blockId: INPUT_ID.title }).element(
          Elements.TextInput({ actionId: INPUT_ID.title, maxLength: 300, placeholder: 'What needs doing?' }),
        ),
        Blocks.Input({ label: 'Description', blockId: INPUT_ID.description })
          .optional()
          .element(Elements.TextInput({ actionId: INPUT_ID.description, maxLength: 3000 }).multiline()),
        Blocks.Input({ label: 'Priority', blockId: INPUT_ID.priority }).element(
          Elements.StaticSelect({ actionId: INPUT_ID.priority })
            .options(PRIORITIES.map((p) => Bits.Option({ text: p, value: p })))
            .initialOption(Bits.Option({ text: config.defaults.priority, value: config.defaults.priority })),
        ),
        ...(services.length > 0
          ? [
              Blocks.Input({
                label: 'Service',
                blockId: INPUT_ID.service,
                hint: 'Its channel gets the card; else this channel',
              })
                .optional()
                .element(
                  Elements.StaticSelect({
                    actionId: INPUT_ID.service,
                    placeholder: 'Pick a service',
                  }).options(services.slice(0, 100).map((s) => Bits.Option({ text: cut(s, 75), value: s }))),
                ),
            ]
          : []),
        Blocks.Input({ label: 'Assignee', blockId: INPUT_ID.assignee })
          .optional()
          .element(Elements.UserSelect({ actionId: INPUT_ID.assignee, placeholder: 'Nobody yet' })),
      )
      .buildToObject() as View,
  );
}

/** The resolution note, asked for by the Resolve button and by `/tms resolve <id>` without a note. */
export function resolveModal(task: Task, channel: string | undefined): View {
  return fitView(
    Modal({
      title: `Resolve ${task.id}`,
      submit: 'Resolve',
      close: 'Cancel',
      callbackId: CALLBACK_ID.resolve,
      privateMetaData: JSON.stringify({ ref: taskRef(task), ...(channel ? { channel } : {}) }),
    })
      .blocks(
        Blocks.Section({ text: `*${mrkdwn(task.title, 200)}*` }),
        Blocks.Input({
          label: 'What fixed it?',
          blockId: INPUT_ID.note,
          hint: 'It becomes the playbook for next time',
        })
          .optional()
          .element(Elements.TextInput({ actionId: INPUT_ID.note, maxLength: 3000 }).multiline()),
      )
      .buildToObject() as View,
  );
}

export interface HomeContent {
  readonly mine: readonly Task[];
  readonly teams: readonly { team: string; tasks: readonly Task[] }[];
  readonly permalinks: ReadonlyMap<string, string>;
  readonly notice?: string;
  /** My on-call shifts (issue 19); absent: no section (I am in no rotation and on no shift). */
  readonly oncall?: ViewerShifts;
}

/** App Home: my open tasks with their clocks and buttons, my on-call shifts, then my teams' open tasks. */
export function homeView(content: HomeContent, viewer: Viewer, now: Date): View {
  const blocks = [];
  if (content.notice) blocks.push(Blocks.Context().elements(`:warning: ${content.notice}`));
  blocks.push(Blocks.Header({ text: 'Your open tasks' }));
  if (content.mine.length === 0) blocks.push(Blocks.Section({ text: 'Nothing assigned to you. :tada:' }));
  // A view holds at most 100 blocks: three per own task, one per team task, and the headings.
  for (const task of content.mine.slice(0, 20)) {
    blocks.push(Blocks.Section({ text: taskLine(task, now, content.permalinks.get(task.id)) }));
    const actions = taskActions(task, viewer);
    if (actions) blocks.push(actions);
    blocks.push(Blocks.Divider());
  }
  if (content.oncall) blocks.push(...homeShiftsBlocks(content.oncall));
  for (const { team, tasks } of content.teams) {
    blocks.push(Blocks.Header({ text: cut(`Open in ${team}`, 150) }));
    if (tasks.length === 0) blocks.push(Blocks.Section({ text: 'Nothing open.' }));
    for (const task of tasks.slice(0, 10)) {
      const line = Blocks.Section({ text: taskLine(task, now, content.permalinks.get(task.id)) });
      if (!task.assignee && task.status !== 'resolved' && viewer.role !== 'viewer')
        line.accessory(Elements.Button({ text: 'Claim', actionId: ACTION_ID.claim, value: taskRef(task) }));
      blocks.push(line);
    }
  }
  blocks.push(
    Blocks.Context().elements(
      `Updated ${`<!date^${Math.floor(now.getTime() / 1000)}^{time}|${now.toISOString()}>`}`,
    ),
  );
  return fitView(
    HomeTab({ callbackId: CALLBACK_ID.home })
      .blocks(...blocks.slice(0, 100))
      .buildToObject() as View,
  );
}
