import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';

/**
 * What every Apollo Server fedsearch starts (the search subgraph, the demo graph) is told, so it
 * behaves the same whatever NODE_ENV says. Left to itself, with NODE_ENV unset — every user's
 * machine — Apollo Server installs its own SIGINT/SIGTERM handlers that stop it and re-raise the
 * signal, killing the process before fedsearch can clean up, puts stack traces with absolute
 * paths into error responses, and answers a browser with a landing page that loads Apollo's
 * Sandbox from a CDN (a third-party script on our origin): it is off, and a GET from a browser
 * gets the same JSON answer as any other client. FEDSEARCH_GRAPHQL_STACKTRACES=1 turns the traces
 * back on for debugging. A server's own plugins go in `plugins` here: given beside these options,
 * they would replace the one that turns the landing page off.
 */
export function apolloServerOptions(plugins: ApolloServerPlugin[] = []): { stopOnTerminationSignals: false; includeStacktraceInErrorResponses: boolean; plugins: ApolloServerPlugin[] } {
  return {
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: process.env.FEDSEARCH_GRAPHQL_STACKTRACES === '1',
    plugins: [ApolloServerPluginLandingPageDisabled(), ...plugins],
  };
}
