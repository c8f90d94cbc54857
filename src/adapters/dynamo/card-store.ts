import { createHash } from 'node:crypto';
import {
  BatchGetCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  paginateQuery,
  paginateScan,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  BeginOutcome,
  CardRecord,
  CardState,
  CardStore,
  SeenClaim,
  SeenStore,
  TaskDeletion,
} from '../../core/ports.js';
import { formatTaskId, STATUSES } from '../../core/task.js';
import { conditional, itemsOf, pick, send, updateIf } from './calls.js';
import { keys, TABLE } from './table.js';

const CARD_FIELDS = [
  'taskId',
  'channel',
  'ts',
  'permalink',
  'shownVersion',
  'threadVersion',
  'occurrencesReported',
  'occurrencesReportedAt',
  'renderedAt',
  'retryAt',
  'attempts',
  'lastError',
  'insight',
  'lease',
  'leaseUntil',
  'wanted',
  'deletedBy',
  'deletedAt',
] as const;

const toCard = (item: Record<string, unknown>) => pick(item, CARD_FIELDS) as unknown as CardRecord;

/** Slack cards and at-most-once markers, in the task table (key design in ./table.ts). */
export class DynamoCardStore implements CardStore, SeenStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string = TABLE.defaultName,
  ) {}

  async card(taskId: string): Promise<CardRecord | undefined> {
    const { Item } = await send(() =>
      this.db.send(
        new GetCommand({ TableName: this.tableName, Key: keys.card(taskId), ConsistentRead: true }),
      ),
    );
    return Item ? toCard(Item) : undefined;
  }

  async leaseCard(
    taskId: string,
    token: string,
    now: string,
    until: string,
    below?: number,
  ): Promise<CardRecord | undefined> {
    const written = await updateIf(this.db, {
      TableName: this.tableName,
      Key: keys.card(taskId),
      UpdateExpression: [
        'SET taskId = :id, #type = :type, lease = :token, leaseUntil = :until, retryAt = :until,',
        'gsi1pk = :due, gsi1sk = :order,',
        'shownVersion = if_not_exists(shownVersion, :zero), threadVersion = if_not_exists(threadVersion, :zero),',
        'occurrencesReported = if_not_exists(occurrencesReported, :one), attempts = if_not_exists(attempts, :zero)',
      ].join(' '),
      ConditionExpression:
        below === undefined
          ? 'attribute_not_exists(lease) OR leaseUntil < :now'
          : '(attribute_not_exists(lease) OR leaseUntil < :now) AND (attribute_not_exists(shownVersion) OR shownVersion < :below)',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: {
        ...(below === undefined ? {} : { ':below': below }),
        ':id': taskId,
        ':type': 'card',
        ':token': token,
        ':until': until,
        ':now': now,
        ':due': keys.cardsDue,
        ':order': keys.cardOrder(until, taskId),
        ':zero': 0,
        ':one': 1,
      },
      ReturnValues: 'ALL_NEW',
    });
    return written ? toCard(written) : undefined;
  }

  async releaseCard(taskId: string, token: string, state: CardState): Promise<boolean> {
    const item: Record<string, unknown> = { ...keys.card(taskId), type: 'card', taskId, ...state };
    if (state.retryAt) {
      item.gsi1pk = keys.cardsDue;
      item.gsi1sk = keys.cardOrder(state.retryAt, taskId);
    }
    // A card due again anyway (retryAt) is synced from a fresh read of the task: what was wanted is covered.
    return conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: state.retryAt
            ? 'lease = :token'
            : 'lease = :token AND (attribute_not_exists(wanted) OR wanted <= :shown)',
          ExpressionAttributeValues: {
            ':token': token,
            ...(state.retryAt ? {} : { ':shown': state.shownVersion }),
          },
        }),
      ),
    );
  }

  wantCard(taskId: string, version: number, now: string): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.card(taskId),
          UpdateExpression: 'SET wanted = :v',
          ConditionExpression:
            'attribute_exists(lease) AND leaseUntil >= :now AND shownVersion < :v AND (attribute_not_exists(wanted) OR wanted < :v)',
          ExpressionAttributeValues: { ':v': version, ':now': now },
        }),
      ),
    );
  }

  async markCardDeleted(taskId: string, deletion: TaskDeletion, now: string): Promise<void> {
    await conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.card(taskId),
          UpdateExpression:
            'SET deletedBy = :by, deletedAt = :at, retryAt = :now, gsi1pk = :due, gsi1sk = :order',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: {
            ':by': deletion.by,
            ':at': deletion.at,
            ':now': now,
            ':due': keys.cardsDue,
            ':order': keys.cardOrder(now, taskId),
          },
        }),
      ),
    );
  }

  async dueCards(now: string, limit: number): Promise<string[]> {
    const { Items } = await send(() =>
      this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :due AND gsi1sk <= :now',
          ExpressionAttributeValues: { ':due': keys.cardsDue, ':now': `${now}#~` },
          Limit: limit,
        }),
      ),
    );
    return (Items ?? []).map((item) => String(item.taskId));
  }

  /**
   * Task and card items are read by key (BatchGetItem, at most 100 keys a call, only the versions projected),
   * never scanned: the newest `page` task numbers (the status index says which; a task whose first record was lost
   * has no card at all) and the `page` numbers below a cursor kept in the table, which walks down to TMS-1 and
   * starts again from the newest. At most two BatchGetItem calls of `page` tasks and three small item
   * operations per call; every task is looked at within (tasks / page) calls.
   */
  async cardsBehind(page: number): Promise<string[]> {
    const size = Math.max(1, Math.min(50, Math.floor(page)));
    const [newest, cursor] = await Promise.all([this.#newestTask(), this.#get(keys.cardAudit, 'next')]);
    if (!Number.isInteger(newest) || newest < 1) return [];
    const numbers = new Set<number>();
    for (let n = newest; n > Math.max(0, newest - size); n--) numbers.add(n);
    let from = Number(cursor?.next ?? 0);
    if (!Number.isInteger(from) || from < 1 || from > newest - size) from = newest - size;
    for (let n = from; n > Math.max(0, from - size); n--) numbers.add(n);
    const next = from - size;
    await send(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.cardAudit, type: 'card-audit', next: next >= 1 ? next : 0 },
        }),
      ),
    );
    const ids = [...numbers].map(formatTaskId);
    const behind: string[] = [];
    for (let i = 0; i < ids.length; i += 50) {
      const chunk = ids.slice(i, i + 50);
      const found = await this.#versions(chunk);
      for (const id of chunk) {
        const task = found.get(`${keys.task(id).pk}|TASK`);
        if (!task || typeof task.version !== 'number') continue;
        const card = found.get(`${keys.card(id).pk}|CARD`);
        // A card with a retry scheduled (or held by a writer) is the due index's, not the audit's.
        if (card?.retryAt) continue;
        if (Number(card?.shownVersion ?? 0) < task.version) behind.push(id);
      }
    }
    return behind;
  }

  /**
   * The highest task number written: the newest of each status partition of gsi1 (keys only). Not the id
   * counter, which is past it by the numbers processes reserved and have not used (TASK_ID_BLOCK).
   */
  async #newestTask(): Promise<number> {
    const newest = await Promise.all(
      STATUSES.map(async (status) => {
        const { Items } = await send(() =>
          this.db.send(
            new QueryCommand({
              TableName: this.tableName,
              IndexName: 'gsi1',
              KeyConditionExpression: 'gsi1pk = :status',
              ExpressionAttributeValues: { ':status': keys.byStatus(status) },
              ScanIndexForward: false,
              Limit: 1,
            }),
          ),
        );
        return Number(Items?.[0]?.gsi1sk ?? 0);
      }),
    );
    return Math.max(0, ...newest);
  }

  async #get(
    key: { pk: string; sk: string },
    attribute: string,
  ): Promise<Record<string, unknown> | undefined> {
    const { Item } = await send(() =>
      this.db.send(
        new GetCommand({
          TableName: this.tableName,
          Key: key,
          ConsistentRead: true,
          ProjectionExpression: '#a',
          ExpressionAttributeNames: { '#a': attribute },
        }),
      ),
    );
    return Item;
  }

  /** Task versions and what their cards show, for up to 50 tasks, in one BatchGetItem (retrying what it left). */
  async #versions(ids: readonly string[]): Promise<Map<string, Record<string, unknown>>> {
    const found = new Map<string, Record<string, unknown>>();
    let wanted: Record<string, unknown>[] = ids.flatMap((id) => [keys.task(id), keys.card(id)]);
    for (let attempt = 0; wanted.length > 0 && attempt < 5; attempt++) {
      const { Responses, UnprocessedKeys } = await send(() =>
        this.db.send(
          new BatchGetCommand({
            RequestItems: {
              [this.tableName]: {
                Keys: wanted,
                ConsistentRead: true,
                ProjectionExpression: 'pk, sk, version, shownVersion, retryAt',
              },
            },
          }),
        ),
      );
      for (const item of Responses?.[this.tableName] ?? []) found.set(`${item.pk}|${item.sk}`, item);
      wanted = (UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined) ?? [];
    }
    return found;
  }

  /**
   * Leases that will not be released: their writers are known to be gone (the local stack restarted after a
   * kill, so every lease it held before `startedAt` died with it). Their cards are made due now instead of
   * when the lease would run out. Reads the due index (cards behind or held), a page at a time.
   */
  /**
   * Cards whose message the Slack at hand does not have (`present` says which it has): each is marked as
   * showing nothing (no ts, version 0) and due `now`, so the API stops saying it is up to date and the next
   * reconcile posts it again. For the local stack at start, whose offline Slack keeps a bounded record; a card
   * written since the scan began (its ts changed) is left as it is. Scans the card items, a page at a time.
   */
  async forgetCardsMissingFrom(
    present: (channel: string, ts: string) => boolean,
    now: string,
  ): Promise<number> {
    let forgotten = 0;
    const posted = paginateScan(
      { client: this.db },
      {
        TableName: this.tableName,
        FilterExpression: '#type = :card AND attribute_exists(ts)',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':card': 'card' },
        ProjectionExpression: 'taskId, channel, ts',
      },
    );
    for await (const item of itemsOf(posted)) {
      const taskId = String(item.taskId);
      if (present(String(item.channel ?? ''), String(item.ts))) continue;
      const marked = await conditional(() =>
        this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.card(taskId),
            UpdateExpression:
              'SET shownVersion = :zero, retryAt = :now, gsi1pk = :due, gsi1sk = :order REMOVE ts, channel, permalink, renderedAt',
            ConditionExpression: 'ts = :ts',
            ExpressionAttributeValues: {
              ':zero': 0,
              ':now': now,
              ':due': keys.cardsDue,
              ':order': keys.cardOrder(now, taskId),
              ':ts': item.ts,
            },
          }),
        ),
      );
      if (marked) forgotten++;
    }
    return forgotten;
  }

  async releaseDeadLeases(heldUntilAtMost: string, now: string): Promise<number> {
    let released = 0;
    const due = paginateQuery(
      { client: this.db, pageSize: 100 },
      {
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :due',
        ExpressionAttributeValues: { ':due': keys.cardsDue },
      },
    );
    for await (const item of itemsOf(due)) {
      if (typeof item.lease !== 'string' || String(item.leaseUntil) > heldUntilAtMost) continue;
      const taskId = String(item.taskId);
      const freed = await conditional(() =>
        this.db.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: keys.card(taskId),
            UpdateExpression: 'SET retryAt = :now, gsi1sk = :order REMOVE lease, leaseUntil',
            ConditionExpression: 'lease = :token',
            ExpressionAttributeValues: {
              ':now': now,
              ':order': keys.cardOrder(now, taskId),
              ':token': item.lease,
            },
          }),
        ),
      );
      if (freed) released++;
    }
    return released;
  }

  /**
   * Markers in progress whose holders are known to be gone (the local stack restarted after a kill, so every
   * claim it held under a lease ending at or before `heldUntilAtMost` died with it): dropped, so the same
   * click or event does its work now instead of once the lease runs out. Markers are on no index, so this
   * reads the whole table: for the local stack's restart only, never on a production table.
   */
  async releaseDeadClaims(scopes: readonly string[], heldUntilAtMost: string): Promise<number> {
    const until = Date.parse(heldUntilAtMost);
    const prefixes = Object.fromEntries(scopes.map((scope, i) => [`:scope${i}`, `SEEN#${scope}#`]));
    let released = 0;
    const held = paginateScan(
      { client: this.db },
      {
        TableName: this.tableName,
        FilterExpression: `#state = :progress AND #lease <= :until AND (${Object.keys(prefixes)
          .map((name) => `begins_with(pk, ${name})`)
          .join(' OR ')})`,
        ExpressionAttributeNames: { '#state': 'state', '#lease': 'leaseUntil' },
        ExpressionAttributeValues: { ':progress': 'in-progress', ':until': until, ...prefixes },
      },
    );
    for await (const item of itemsOf(held)) {
      const dropped = await conditional(() =>
        this.db.send(
          new DeleteCommand({
            TableName: this.tableName,
            Key: { pk: item.pk, sk: item.sk },
            ConditionExpression: 'holder = :token AND #state = :progress',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':token': item.holder, ':progress': 'in-progress' },
          }),
        ),
      );
      if (dropped) released++;
    }
    return released;
  }

  firstSighting(scope: string, key: string, expiresAt: string): Promise<boolean> {
    // An expired marker that DynamoDB has not deleted yet no longer counts.
    return this.putMarker(
      scope,
      key,
      { state: 'done', [TABLE.ttlAttribute]: epochSeconds(expiresAt) },
      {
        ConditionExpression: 'attribute_not_exists(pk) OR #ttl < :now',
        ExpressionAttributeNames: { '#ttl': TABLE.ttlAttribute },
        ExpressionAttributeValues: { ':now': Math.floor(Date.now() / 1000) },
      },
    );
  }

  /** A marker written if its condition holds: false when it did not. */
  private putMarker(
    scope: string,
    key: string,
    fields: Record<string, unknown>,
    condition: Pick<
      PutCommandInput,
      'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    >,
  ): Promise<boolean> {
    return conditional(() =>
      this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...seenKey(scope, key), type: 'seen', ...fields },
          ...condition,
        }),
      ),
    );
  }

  /**
   * One conditional put: the marker is taken when absent, expired (DynamoDB deletes late), or in progress
   * under a lease that ended. A refusal reads the marker (consistently) to say which state stands; one gone
   * meanwhile (its holder released it a moment ago) is reported in progress, so the caller stays quiet.
   */
  async begin(scope: string, key: string, claim: SeenClaim): Promise<BeginOutcome> {
    const nowMs = Date.parse(claim.now);
    const taken = await this.putMarker(
      scope,
      key,
      {
        state: 'in-progress',
        holder: claim.token,
        leaseUntil: Date.parse(claim.leaseUntil),
        [TABLE.ttlAttribute]: epochSeconds(claim.leaseUntil),
      },
      {
        ConditionExpression:
          'attribute_not_exists(pk) OR #ttl < :nowS OR (#state = :progress AND #lease < :nowMs)',
        ExpressionAttributeNames: { '#ttl': TABLE.ttlAttribute, '#state': 'state', '#lease': 'leaseUntil' },
        ExpressionAttributeValues: {
          ':nowS': Math.floor(nowMs / 1000),
          ':nowMs': nowMs,
          ':progress': 'in-progress',
        },
      },
    );
    if (taken) return 'begun';
    const { Item } = await send(() =>
      this.db.send(
        new GetCommand({ TableName: this.tableName, Key: seenKey(scope, key), ConsistentRead: true }),
      ),
    );
    // A marker written before markers had states (no `state`) is a done one.
    return !Item || Item.state === 'in-progress' ? 'in-progress' : 'done';
  }

  async complete(
    scope: string,
    key: string,
    token: string,
    expiresAt: string,
    outcome?: string,
  ): Promise<void> {
    await conditional(() =>
      this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: seenKey(scope, key),
          UpdateExpression: `SET #state = :done, #ttl = :ttl${outcome === undefined ? '' : ', outcome = :outcome'} REMOVE #lease`,
          ConditionExpression: 'holder = :token AND #state = :progress',
          ExpressionAttributeNames: { '#ttl': TABLE.ttlAttribute, '#state': 'state', '#lease': 'leaseUntil' },
          ExpressionAttributeValues: {
            ':done': 'done',
            ':ttl': epochSeconds(expiresAt),
            ':token': token,
            ':progress': 'in-progress',
            ...(outcome === undefined ? {} : { ':outcome': outcome }),
          },
        }),
      ),
    );
  }

  async outcomeOf(scope: string, key: string): Promise<string | undefined> {
    const { Item } = await send(() =>
      this.db.send(
        new GetCommand({ TableName: this.tableName, Key: seenKey(scope, key), ConsistentRead: true }),
      ),
    );
    return Item?.state === 'done' && typeof Item.outcome === 'string' ? Item.outcome : undefined;
  }

  async release(scope: string, key: string, token: string): Promise<void> {
    await conditional(() =>
      this.db.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: seenKey(scope, key),
          ConditionExpression: 'holder = :token AND #state = :progress',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':token': token, ':progress': 'in-progress' },
        }),
      ),
    );
  }
}

const epochSeconds = (at: string) => Math.ceil(Date.parse(at) / 1000);

/**
 * A marker's key: a long one (a Slack action's value can be 2,000 characters) by its digest, so the item's
 * partition key stays well within DynamoDB's 2,048 bytes.
 */
function seenKey(scope: string, key: string) {
  return keys.seen(
    scope,
    Buffer.byteLength(key) > 512 ? `sha256:${createHash('sha256').update(key).digest('hex')}` : key,
  );
}
