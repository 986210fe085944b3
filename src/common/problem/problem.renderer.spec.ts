import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { ProblemException } from './problem.exception';
import { renderProblem } from './problem.renderer';

describe('renderProblem', () => {
  it('renders a typed exception with its stable type, extensions and headers', () => {
    const error = new ProblemException('quota-exceeded', 'Quota Exceeded', 429, 'Try later.', { limit: 5 }, { 'retry-after': '3' });
    const { body, headers, unexpected } = renderProblem(error, '/v1/x', 'rid-1');
    expect(body).toEqual({
      type: 'urn:flickr-gateway:problem:quota-exceeded',
      title: 'Quota Exceeded',
      status: 429,
      detail: 'Try later.',
      instance: '/v1/x',
      requestId: 'rid-1',
      limit: 5,
    });
    expect(headers).toEqual({ 'retry-after': '3' });
    expect(unexpected).toBe(false);
  });

  it('does not let an extension override the standard members', () => {
    const error = new ProblemException('x', 'X', 400, 'd', { status: 200, requestId: 'forged' });
    const { body } = renderProblem(error, '/', 'real');
    expect(body.status).toBe(400);
    expect(body.requestId).toBe('real');
  });

  it('maps Nest HTTP exceptions by status', () => {
    expect(renderProblem(new NotFoundException('nope'), '/a', 'r').body).toMatchObject({
      type: 'urn:flickr-gateway:problem:not-found',
      status: 404,
      detail: 'nope',
    });
    const validation = renderProblem(new BadRequestException(['a must be a string', 'b is missing']), '/a', 'r').body;
    expect(validation).toMatchObject({ type: 'urn:flickr-gateway:problem:validation-failed', errors: ['a must be a string', 'b is missing'] });
  });

  it('maps Fastify body errors, bare or wrapped by Nest', () => {
    const bare = Object.assign(new Error('too big'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 });
    expect(renderProblem(bare, '/', 'r').body.type).toBe('urn:flickr-gateway:problem:payload-too-large');
    const wrapped = new HttpException('bad json', 400, { cause: Object.assign(new Error(), { code: 'FST_ERR_CTP_INVALID_JSON_BODY' }) });
    expect(renderProblem(wrapped, '/', 'r').body.type).toBe('urn:flickr-gateway:problem:malformed-request');
  });

  it('hides the message of anything unexpected', () => {
    const rendered = renderProblem(new Error('password=hunter2 at db.internal'), '/', 'r');
    expect(rendered.unexpected).toBe(true);
    expect(rendered.body.status).toBe(500);
    expect(JSON.stringify(rendered.body)).not.toContain('hunter2');
    const server = renderProblem(new HttpException('upstream said: secret', 502), '/', 'r');
    expect(server.body.detail).not.toContain('secret');
  });
});
