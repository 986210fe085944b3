import { SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { MemoizedReflector } from '../../src/common/http/memoized.reflector';
import { MatchesPipe } from '../../src/common/http/matches.pipe';

const KEY = 'test:key';

@SetMetadata(KEY, 'class')
class Routes {
  @SetMetadata(KEY, 'handler')
  decorated(): void {}

  plain(): void {}
}

describe('MemoizedReflector', () => {
  it('answers what Reflector answers (handler overrides class), reading each route once', () => {
    const plain = new Reflector();
    const memo = new MemoizedReflector();
    const spy = jest.spyOn(Reflect, 'getMetadata');
    const targets = (h: keyof Routes) => [Routes.prototype[h], Routes];
    for (const h of ['decorated', 'plain'] as const) {
      expect(memo.getAllAndOverride(KEY, targets(h))).toBe(plain.getAllAndOverride(KEY, targets(h)));
    }
    expect(memo.getAllAndOverride(KEY, targets('decorated'))).toBe('handler');
    expect(memo.getAllAndOverride(KEY, targets('plain'))).toBe('class');
    spy.mockClear();
    for (let i = 0; i < 5; i++) memo.getAllAndOverride(KEY, targets('decorated'));
    expect(spy).not.toHaveBeenCalled();
    // An absent key is remembered as absent too, and other keys are separate.
    expect(memo.getAllAndOverride('other', targets('plain'))).toBeUndefined();
    spy.mockClear();
    expect(memo.getAllAndOverride('other', targets('plain'))).toBeUndefined();
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });
});

describe('MatchesPipe', () => {
  const pipe = new MatchesPipe(/^[a-z]{1,3}$/, 'x must be 1-3 of a-z');
  it('passes a matching string through', () => expect(pipe.transform('abc')).toBe('abc'));
  it.each([['abcd'], [''], [undefined], [42]])('refuses %p with the validation-failed problem', (value) => {
    expect(() => pipe.transform(value)).toThrow(expect.objectContaining({ slug: 'validation-failed' }));
  });
});
