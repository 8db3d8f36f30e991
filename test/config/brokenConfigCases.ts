// A corpus of broken index configurations, each a small edit of index-configs/movies.yaml, with
// the exact problem lines fedsearch must report for it.

export interface BrokenConfigCase {
  name: string;
  /** Replacements applied in order to the text of index-configs/movies.yaml. */
  edits: Array<[from: string | RegExp, to: string]>;
  /** Exact problem lines (`file:line:col: field: message`), in file order. */
  problems: string[];
  env?: Record<string, string>;
}

export const BROKEN_CONFIGS: BrokenConfigCase[] = [
  { name: 'YAML syntax error', edits: [['index: movies', 'index: [movies']],
    problems: [
      "broken.yaml:5:1: YAML syntax error: missed comma between flow collection entries",
    ],
  },
  { name: 'not a mapping', edits: [[/^[\s\S]*$/, '- just\n- a list\n']],
    problems: [
      "broken.yaml:1:1: expected a mapping of settings (index, gateway, query, primary, …)",
    ],
  },
  { name: 'misspelled top-level key', edits: [['gateway:\n', 'gatway:\n']],
    problems: [
      "broken.yaml:5:1: gatway: unknown field \"gatway\" (did you mean \"gateway\"?)",
    ],
  },
  { name: 'upper-case index name', edits: [['index: movies', 'index: Movies']],
    problems: [
      "broken.yaml:3:1: index: must be lower-case letters, digits, \"_\" or \"-\", starting with a letter or digit (an Elasticsearch index name)",
    ],
  },
  { name: 'index name with a space', edits: [['index: movies', 'index: "my movies"']],
    problems: [
      "broken.yaml:3:1: index: must be lower-case letters, digits, \"_\" or \"-\", starting with a letter or digit (an Elasticsearch index name)",
    ],
  },
  { name: 'gateway URL not http', edits: [['${FEDSEARCH_GATEWAY_URL:-http://127.0.0.1:4000/graphql}', 'ftp://gateway/graphql']],
    problems: [
      "broken.yaml:6:3: gateway.url: must be an http(s) URL",
    ],
  },
  { name: 'timeout not a number', edits: [['timeoutMs: 10000', 'timeoutMs: soon']],
    problems: [
      "broken.yaml:7:3: gateway.timeoutMs: must be a number, not string \"soon\"",
    ],
  },
  { name: 'missing environment variable', edits: [['url: ${FEDSEARCH_GATEWAY_URL:-http://127.0.0.1:4000/graphql}', 'url: ${GATEWAY_URL}']],
    problems: [
      "broken.yaml:6:3: gateway.url: environment variable GATEWAY_URL is not set",
    ],
  },
  { name: 'query missing', edits: [[/# The document[\s\S]*?\n\nprimary:/, 'primary:']],
    problems: [
      "broken.yaml:1:1: query: is required",
    ],
  },
  { name: 'event source misspelled key', edits: [['    - topic: studio.movie.changes\n', '    - topik: studio.movie.changes\n']],
    problems: [
      "broken.yaml:43:7: primary.events[0].topik: unknown field \"topik\" (did you mean \"topic\"?)",
    ],
  },
  { name: 'event source with neither id nor idFromKey', edits: [['      id: after.movieId\n    # A credit', '    # A credit']],
    problems: [
      "broken.yaml:43:7: primary.events[0]: give either `id: <path in the event>` or `idFromKey: true`, not both or neither",
    ],
  },
  { name: 'event id path with a space', edits: [['id: after.ptpId', 'id: after ptpId']],
    problems: [
      "broken.yaml:53:9: related[0].events[0].id: must be a dotted path such as after.id",
    ],
  },
  { name: 'no primary events', edits: [[/  events:\n    - topic: studio.movie.changes\n      id: after.movieId\n    # A credit added to or removed from a movie changes that movie's cast.\n    - topic: studio.credit.changes\n      id: after.movieId\n/, '  events: []\n']],
    problems: [
      "broken.yaml:42:3: primary.events: needs at least 1 entry",
    ],
  },
  { name: 'unknown field option', edits: [['genres: { facet: true }', 'genres: { facett: true }']],
    problems: [
      "broken.yaml:64:13: fields.genres.facett: unknown field \"facett\" (did you mean \"facet\"?)",
    ],
  },
  { name: 'audit option that is no boolean', edits: [['synopsis: { text: true }', 'synopsis: { text: true, audit: "no" }']],
    problems: [
      "broken.yaml:63:27: fields.synopsis.audit: must be a boolean, not string \"no\"",
    ],
  },
  { name: 'unknown analyzer', edits: [['analyzer: name', 'analyzer: english']],
    problems: [
      "broken.yaml:71:23: fields.cast.talent.name.analyzer: must be one of \"folded\", \"name\", not \"english\"",
    ],
  },
  { name: 'negative replicas and zero shards', edits: [['shards: 1', 'shards: 0'], ['replicas: 0', 'replicas: -1']],
    problems: [
      "broken.yaml:75:3: elasticsearch.shards: must be greater than 0",
      "broken.yaml:76:3: elasticsearch.replicas: must be at least 0",
    ],
  },
  { name: 'a refresh interval of nothing', edits: [['replicas: 0', 'replicas: 0\n  refreshInterval: 0s']],
    problems: [
      "broken.yaml:77:3: elasticsearch.refreshInterval: must be more than 0, e.g. 1s or 0.5 (seconds): a search sees a document only after a refresh",
    ],
  },
  { name: 'a refresh interval that is no duration', edits: [['replicas: 0', 'replicas: 0\n  refreshInterval: soon']],
    problems: [
      "broken.yaml:77:3: elasticsearch.refreshInterval: must be a duration such as 30s, 15m, 2h or 1d, or a number of seconds",
    ],
  },
  { name: 'broker without port', edits: [['${FEDSEARCH_KAFKA_BROKERS:-127.0.0.1:9092}', 'localhost']],
    problems: [
      "broken.yaml:79:13: kafka.brokers[0]: must be host:port",
    ],
  },
  { name: 'username without password', edits: [['  shards: 1\n', '  username: elastic\n  shards: 1\n']],
    problems: [
      "broken.yaml:73:1: elasticsearch: username and password go together",
    ],
  },
  { name: 'backfill rate zero', edits: [['rate: 200', 'rate: 0']],
    problems: [
      "broken.yaml:91:3: backfill.rate: must be greater than 0",
    ],
  },
  { name: 'query field misspelled', edits: [['      synopsis\n', '      synopsys\n']],
    problems: [
      "broken.yaml:15:7: query: Cannot query field \"synopsys\" on type \"Movie\". Did you mean \"synopsis\"?",
    ],
  },
  { name: 'query syntax error', edits: [['      production {\n', '      production {{\n']],
    problems: [
      "broken.yaml:22:19: query: GraphQL syntax error: Expected Name, found \"{\".",
    ],
  },
  { name: 'query without id variable', edits: [['query Movie($id: ID!) {\n    movie(movieId: $id) {', 'query Movie {\n    movie(movieId: "mov-1") {']],
    problems: [
      "broken.yaml:11:3: query: must declare at least one variable, the entity id (e.g. `query ($id: ID!)`), or one per field of a composite key; found 0",
    ],
  },
  { name: 'nullable id variable', edits: [['query Movie($id: ID!)', 'query Movie($id: ID)']],
    problems: [
      "broken.yaml:11:15: query: Variable \"$id\" of type \"ID\" used in position expecting type \"ID!\".",
      "broken.yaml:11:15: query: the id variable $id must be a non-null ID, String, Int or custom scalar (e.g. ID!)",
    ],
  },
  { name: 'a Float id variable', edits: [['query Movie($id: ID!)', 'query Movie($id: Float!)']],
    problems: [
      "broken.yaml:11:15: query: Variable \"$id\" of type \"Float!\" used in position expecting type \"ID!\".",
      "broken.yaml:11:15: query: the id variable $id must be a non-null ID, String, Int or custom scalar (e.g. ID!)",
    ],
  },
  { name: 'two root fields', edits: [['  query Movie($id: ID!) {\n', '  query Movie($id: ID!) {\n    production(ptpId: $id) { ptpId }\n']],
    problems: [
      "broken.yaml:11:25: query: must select exactly one root field, the entity (e.g. `product(id: $id) { … }`)",
    ],
  },
  { name: 'root field of another type than primary.type', edits: [['  type: Movie\n', '  type: Film\n']],
    problems: [
      "broken.yaml:12:5: query: the root field movie returns Movie, but primary.type is Film",
    ],
  },
  { name: 'a mutation instead of a query', edits: [['query Movie($id: ID!) {\n    movie(movieId: $id) {', 'mutation Movie($id: ID!) {\n    deleteMovie(movieId: $id) {']],
    problems: [
      "broken.yaml:11:3: query: must be a query, not a mutation",
      "broken.yaml:12:31: query: Field \"deleteMovie\" must not have a selection since type \"Boolean!\" has no subfields.",
    ],
  },
  { name: 'fields path not in the query', edits: [['  genres: { facet: true }', '  genre: { facet: true }']],
    problems: [
      "broken.yaml:64:3: fields.genre: not in the query's document (did you mean `genres`?)",
    ],
  },
  { name: 'fields path at the wrong depth', edits: [['  cast.talent.name: { analyzer: name, suggest: true }', '  cast.name: { analyzer: name, suggest: true }']],
    problems: [
      "broken.yaml:71:3: fields.cast.name: not in the query's document (did you mean `cast.talent.name`?)",
    ],
  },
  { name: 'suggest on a number', edits: [['  releaseYear: { sortable: true, facet: true }', '  releaseYear: { suggest: true }']],
    problems: [
      "broken.yaml:66:3: fields.releaseYear: suggest applies to strings; this field's type is Int (stored as integer)",
    ],
  },
  { name: 'nested on a leaf', edits: [['  genres: { facet: true }', '  genres: { nested: true }']],
    problems: [
      "broken.yaml:64:3: fields.genres: nested applies to objects; this field's type is String",
    ],
  },
  { name: 'lookup path not in the query', edits: [['lookup: production.ptpId', 'lookup: production.ptpid']],
    problems: [
      "broken.yaml:54:5: related[0].lookup: production.ptpid is not a scalar field of the query's document (did you mean production.ptpId?)",
    ],
  },
  { name: 'lookup path names an object', edits: [['lookup: cast.talent.talentId', 'lookup: cast.talent']],
    problems: [
      "broken.yaml:59:5: related[1].lookup: cast.talent is not a scalar field of the query's document; it is an object, name its id field (e.g. cast.talent.talentId)",
    ],
  },
  { name: 'related type not in the schema', edits: [['  - type: Production\n', '  - type: Producton\n']],
    problems: [
      "broken.yaml:50:5: related[0].type: type Producton is not in the graph's schema (did you mean Production?)",
    ],
  },
  {
    name: 'a secret of the wrong type is named, never printed',
    edits: [['  shards: 1\n', '  apiKey: 123456789\n  shards: 1\n']],
    problems: ['broken.yaml:75:3: elasticsearch.apiKey: must be a string, not a number (value hidden)'],
  },
  {
    name: 'a header that is not a string is named, never printed',
    edits: [['  timeoutMs: 10000\n', '  headers: { authorization: 42 }\n  timeoutMs: 10000\n']],
    problems: ['broken.yaml:7:14: gateway.headers.authorization: must be a string, not a number (value hidden)'],
  },
  {
    name: 'a value from an environment variable is never printed',
    edits: [['timeoutMs: 10000', 'timeoutMs: ${GATEWAY_TIMEOUT}']],
    env: { GATEWAY_TIMEOUT: 'hunter2-not-a-number' },
    problems: ['broken.yaml:7:3: gateway.timeoutMs: must be a number, not a string (value hidden)'],
  },
  {
    name: 'a YAML alias is refused where it appears',
    edits: [['index: movies', 'index: &name movies'], ['  shards: 1\n', '  shards: *name\n']],
    problems: ['broken.yaml:75:11: YAML syntax error: aliases (*name) are not allowed in a fedsearch config; write the value out'],
  },
  { name: 'a typo in the backfill query', edits: [['edges { node { movieId } }', 'edges { node { movieID } }']],
    problems: ["broken.yaml:87:24: backfill.query: Cannot query field \"movieID\" on type \"Movie\". Did you mean \"movieId\"?"],
  },
  { name: 'a backfill query of a connection without $after', edits: [['query Movies($after: String) {', 'query Movies {'], ['movies(first: 500, after: $after)', 'movies(first: 500)']],
    problems: ["broken.yaml:85:7: backfill.query: must be a Relay connection paged by `$after: String`, a list paged by `$offset: Int`, or a list read in one page"],
  },
  { name: 'a backfill query that is no page of ids', edits: [['        pageInfo { endCursor hasNextPage }\n', '']],
    problems: ["broken.yaml:85:7: backfill.query: with $after, must select `pageInfo { endCursor hasNextPage }` and `edges { node { <id> } }` or `nodes { <id> }` (a Relay connection)"],
  },
  { name: 'search names that are no GraphQL names', edits: [[/\n$/, '\nsearch:\n  field: 2ndSearch\n  typePrefix: __Own\n']],
    problems: [
      'broken.yaml:100:3: search.field: must be a GraphQL name: letters, digits and "_", not starting with a digit',
      'broken.yaml:101:3: search.typePrefix: must not start with "__" (reserved by GraphQL)',
    ],
  },
  { name: 'a lookup on a field of another type than the related one', edits: [['lookup: cast.talent.talentId', 'lookup: production.ptpId']],
    problems: ['broken.yaml:59:5: related[1].lookup: production.ptpId is a field of Production (at production), not of Talent, so its reverse lookups would never match (did you mean cast.talent.talentId?)'],
  },
  { name: 'dead-letter retries that cannot work', edits: [[/\n$/, '\npipeline:\n  retryDeadLetters:\n    firstDelaySeconds: 60\n    maxDelaySeconds: 30\n    lettersPerSecond: 0\n    giveUpAfter: 3\n']],
    problems: [
      'broken.yaml:102:5: pipeline.retryDeadLetters.maxDelaySeconds: must be at least firstDelaySeconds',
      'broken.yaml:103:5: pipeline.retryDeadLetters.lettersPerSecond: must be greater than 0',
      'broken.yaml:104:5: pipeline.retryDeadLetters.giveUpAfter: unknown field "giveUpAfter" (did you mean "giveUpAfterHours"?)',
    ],
  },
  { name: 'worker threads that are no count', edits: [[/\n$/, '\npipeline:\n  workers: many\n']],
    problems: ['broken.yaml:100:3: pipeline.workers: must be auto or a number of threads from 0 to 16'],
  },
];
