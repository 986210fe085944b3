import { ProblemException } from '../common/problem/problem.exception';

/** 409: the user has not connected a Flickr account yet. */
export class FlickrNotConnectedProblem extends ProblemException {
  constructor() {
    super('flickr-not-connected', 'Flickr Account Not Connected', 409, 'This user has not connected a Flickr account; start with POST /v1/oauth/start.', {
      connection_state: 'not_connected',
    });
  }
}

/** 409: Flickr refused the user's token (code 98); the user must connect again. */
export class FlickrReauthorizationRequiredProblem extends ProblemException {
  constructor() {
    // 409, not 401: a 401 means the gateway key failed, and client libraries would treat it as their own credentials failing.
    super('flickr-reauthorization-required', 'Flickr Re-authorization Required', 409, 'Flickr no longer accepts this user\'s token; connect the account again.', {
      flickrCode: 98,
      connection_state: 'reauthorization_required',
    });
  }
}

