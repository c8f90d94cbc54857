import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoTaskStore } from '../../../src/adapters/dynamo/task-store.js';
import { dynamoForTests, onEachBackend, type TestDynamo } from '../../helpers/dynamo.js';
import { taskStoreContract } from '../task-store.contract.js';

onEachBackend((name, dynamo) => taskStoreContract(`DynamoTaskStore on ${name}`, () => dynamo().freshStore()));

// dynalite accepts what DynamoDB refuses here: the queries sent are checked on it.
let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await dynamoForTests();
});
afterAll(async () => {
  await dynamo.close();
});

describe('what DynamoDB itself refuses (dynalite does not)', () => {
  it('never asks for a BETWEEN whose upper bound is below its lower one, as `replay --since 30s` did', async () => {
    const sent: QueryCommandInput[] = [];
    const spy = new Proxy(dynamo.embedded.db, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver);
        if (property !== 'send') return typeof value === 'function' ? value.bind(target) : value;
        return (command: { input: unknown }) => {
          if (command instanceof QueryCommand) sent.push(command.input as QueryCommandInput);
          return value.call(target, command);
        };
      },
    });
    const store = new DynamoTaskStore(spy, await dynamo.freshTable());
    // Act: inside the grace time, the lower bound (30 s ago) is above the upper one (60 s ago).
    const now = Date.parse('2026-03-02T09:10:00.000Z');
    const at = (s: number) => new Date(now - s * 1000).toISOString();
    expect(await store.unprocessedRaw(at(60), 10, `${at(30)}#`)).toEqual([]);
    expect(await store.unprocessedRaw(at(30), 10, `${at(60)}#`)).toEqual([]);
    // Assess
    for (const input of sent.filter((q) => q.KeyConditionExpression?.includes('BETWEEN'))) {
      const values = input.ExpressionAttributeValues ?? {};
      expect(String(values[':after']) <= String(values[':before'])).toBe(true);
    }
  });
});
