import { describe, expect, it } from 'vitest';
import { redactUrl, redactUrlsIn } from '../src/redactUrl.ts';

describe('redactUrl', () => {
  it('drops user, password, query and fragment, and says so', () => {
    expect(redactUrl('https://svc:s3cret@gateway.example:8443/graphql?token=abc#x')).toBe('https://gateway.example:8443/graphql (credentials and query hidden)');
  });

  it('leaves a plain URL and text that is not a URL as they are', () => {
    expect(redactUrl('http://127.0.0.1:4000/graphql')).toBe('http://127.0.0.1:4000/graphql');
    expect(redactUrl('not a url')).toBe('not a url');
  });

  it('drops the same parts from text that starts like a URL but does not parse', () => {
    expect(redactUrl('https://user:secret@gw.example:99999/graphql?token=abc')).toBe('https://gw.example:99999/graphql (credentials and query hidden)');
    expect(redactUrl('https://user:secret@[bad/graphql#frag')).toBe('https://[bad/graphql (credentials and query hidden)');
    expect(redactUrl('https://a:b@c@gw.example:99999')).toBe('https://gw.example:99999 (credentials and query hidden)');
    expect(redactUrl('https://gw.example:99999/graphql')).toBe('https://gw.example:99999/graphql');
    // A token with '/', '?' or '#' in it: none of it shows.
    expect(redactUrl('https://user:pa/ss@gw.example:99999/x')).toBe('https://gw.example:99999/x (credentials and query hidden)');
    expect(redactUrl('https://user:p?ss@gw.example:99999')).toBe('https://gw.example:99999 (credentials and query hidden)');
    expect(redactUrl('https://user:p#ss@gw.example:99999')).toBe('https://gw.example:99999 (credentials and query hidden)');
  });

  it('redacts every URL inside a client library message', () => {
    expect(redactUrlsIn('connect ECONNREFUSED for http://elastic:changeme@es:9200/_bulk?pretty, retrying')).toBe(
      'connect ECONNREFUSED for http://es:9200/_bulk (credentials and query hidden), retrying',
    );
  });
});
