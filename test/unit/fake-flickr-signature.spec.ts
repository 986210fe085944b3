import {
  hmacSha1Signature,
  parseAuthorizationHeader,
  parseForm,
  percentEncode,
  signatureBaseString,
} from '../../tools/sandbox-flickr/oauth-signature';

/** The fake Flickr's signature checker reproduces RFC 5849's worked examples exactly. */
describe('fake Flickr OAuth 1.0a signature checker', () => {
  it('RFC 5849 §3.4.1.1: the signature base string of the example request', () => {
    const params = [
      ...parseForm('b5=%3D%253D&a3=a&c%40=&a2=r%20b'),
      ...parseForm('c2&a3=2+q'),
      ...parseAuthorizationHeader(
        'OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", oauth_token="kkk9d7dh3k39sjv7", ' +
          'oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", ' +
          'oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"',
      ),
    ];
    expect(signatureBaseString('POST', 'http://example.com/request', params)).toBe(
      'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D' +
        '%26c2%3D%26oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1' +
        '%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7',
    );
  });

  it('RFC 5849 §1.2: the final photos request signs to MdpQcU8iPSUjWoN/UDMsK2sui9I=', () => {
    const params: Array<[string, string]> = [
      ['file', 'vacation.jpg'],
      ['size', 'original'],
      ['oauth_consumer_key', 'dpf43f3p2l4k3l03'],
      ['oauth_token', 'nnch734d00sl2jdk'],
      ['oauth_signature_method', 'HMAC-SHA1'],
      ['oauth_timestamp', '137131202'],
      ['oauth_nonce', 'chapoH'],
    ];
    const base = signatureBaseString('GET', 'http://photos.example.net/photos', params);
    expect(base).toBe(
      'GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg%26oauth_consumer_key%3Ddpf43f3p2l4k3l03' +
        '%26oauth_nonce%3DchapoH%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D137131202' +
        '%26oauth_token%3Dnnch734d00sl2jdk%26size%3Doriginal',
    );
    expect(hmacSha1Signature(base, 'kd94hf93k423kf44', 'pfkkdhi9sl3r4s00')).toBe('MdpQcU8iPSUjWoN/UDMsK2sui9I=');
  });

  it('normalises the base URI: lower-case scheme and host, default port dropped, custom port kept', () => {
    expect(signatureBaseString('get', 'HTTP://Example.COM:80/r%20v/X?id=123', [])).toBe('GET&http%3A%2F%2Fexample.com%2Fr%2520v%2FX&');
    expect(signatureBaseString('GET', 'https://www.example.net:8080/?q=1', [])).toBe('GET&https%3A%2F%2Fwww.example.net%3A8080%2F&');
  });

  it('percent-encodes reserved characters the RFC 3986 way', () => {
    expect(percentEncode("!*'()~ +")).toBe('%21%2A%27%28%29~%20%2B');
  });
});
