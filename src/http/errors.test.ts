import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { installErrorHandling } from './errors.js';

/** A bare app with the error handler, whose one route throws what the test gives it. */
async function replyTo(error: unknown) {
  const app = Fastify();
  installErrorHandling(app);
  app.get('/', async () => {
    throw error;
  });
  const reply = await app.inject({ method: 'GET', url: '/' });
  await app.close();
  return { status: reply.statusCode, retryAfter: reply.headers['retry-after'], body: reply.json() };
}

const withCode = (code: string, message = 'database failure') => Object.assign(new Error(message), { code });

describe('the error handler and the database', () => {
  it.each([
    ['an administrator ended the session (57P01)', withCode('57P01', 'terminating connection due to administrator command')],
    ['a crash shut the server down (57P02)', withCode('57P02')],
    ['the server is starting (57P03)', withCode('57P03', 'the database system is starting up')],
    ['a connection exception (08006)', withCode('08006')],
    ['the connection ended under pg', new Error('Connection terminated unexpectedly')],
    ['the client lost its connection earlier', new Error('Client has encountered a connection error and is not queryable')],
    ['no pooled connection came free in time', new Error('timeout exceeded when trying to connect')],
    ['a lock wait ran past lock_timeout (55P03)', withCode('55P03', 'canceling statement due to lock timeout')],
    ['a statement ran past statement_timeout (57014)', withCode('57014', 'canceling statement due to statement timeout')],
  ])('answers 503 unavailable with Retry-After when %s', async (_case, error) => {
    const reply = await replyTo(error);
    expect(reply).toEqual({ status: 503, retryAfter: '1', body: { error: { code: 'unavailable', message: expect.any(String), details: {} } } });
  });

  it('sends Retry-After with every 503 the service decides on itself', async () => {
    const reply = await replyTo(new AppError('unavailable', 'Busy.'));
    expect(reply).toMatchObject({ status: 503, retryAfter: '1' });
  });

  it('still answers 500, saying nothing internal, for an error it does not know', async () => {
    const reply = await replyTo(withCode('XX000', 'internal detail'));
    expect(reply).toEqual({ status: 500, retryAfter: undefined, body: { error: { code: 'internal_error', message: 'Something went wrong on our side.', details: {} } } });
  });
});
