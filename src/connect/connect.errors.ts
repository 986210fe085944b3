import { ProblemException } from '../common/problem/problem.exception';

/** 400: the return URL is not https (http only for localhost outside production) or its origin is not on the allowlist. */
export class ConnectReturnUrlNotAllowedProblem extends ProblemException {
  constructor(reason: string) {
    super('connect-return-url-not-allowed', 'Connect Return URL Not Allowed', 400, `return_url is not allowed: ${reason}.`);
  }
}
