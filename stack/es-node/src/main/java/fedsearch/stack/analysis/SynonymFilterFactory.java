package fedsearch.stack.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.synonym.SolrSynonymParser;
import org.apache.lucene.analysis.synonym.SynonymFilter;
import org.apache.lucene.analysis.synonym.SynonymGraphFilter;
import org.apache.lucene.analysis.synonym.SynonymMap;
import org.apache.lucene.analysis.synonym.WordnetSynonymParser;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.IndexService.IndexCreationContext;
import org.elasticsearch.index.analysis.CharFilterFactory;
import org.elasticsearch.index.analysis.CustomAnalyzer;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;

/**
 * The "synonym" and "synonym_graph" token filters with rules given inline ({@code synonyms}) or
 * in a file under the config directory ({@code synonyms_path}), in Solr (default) or WordNet
 * format. As in Elasticsearch, the rules are analyzed with the part of the analyzer that comes
 * before this filter, so "Café, coffee shop" matches after lowercase/asciifolding. Synonym sets
 * managed through the _synonyms API are not supported here.
 */
final class SynonymFilterFactory implements TokenFilterFactory {

    private final String name;
    private final boolean graph;
    private final List<String> rules;
    private final Path rulesPath;
    private final boolean expand;
    private final boolean lenient;
    private final boolean wordnet;

    SynonymFilterFactory(Environment env, String name, Settings settings, boolean graph) {
        this.name = name;
        this.graph = graph;
        this.rules = settings.getAsList("synonyms");
        String path = settings.get("synonyms_path");
        this.rulesPath = path == null ? null : env.configDir().resolve(path);
        if (rules.isEmpty() && rulesPath == null) {
            if (settings.get("synonyms_set") != null) {
                throw new IllegalArgumentException("synonyms_set (the _synonyms API) is not available on this local node; use synonyms or synonyms_path");
            }
            throw new IllegalArgumentException("synonym requires either `synonyms`, `synonyms_set` or `synonyms_path` to be configured");
        }
        this.expand = settings.getAsBoolean("expand", true);
        this.lenient = settings.getAsBoolean("lenient", false);
        this.wordnet = "wordnet".equalsIgnoreCase(settings.get("format", ""));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public TokenStream create(TokenStream tokenStream) {
        throw new IllegalStateException("synonym filter [" + name + "] must be specialized for an analysis chain first");
    }

    @Override
    public TokenFilterFactory getChainAwareTokenFilterFactory(
        IndexCreationContext context,
        TokenizerFactory tokenizer,
        List<CharFilterFactory> charFilters,
        List<TokenFilterFactory> previousTokenFilters,
        Function<String, TokenFilterFactory> allFilters
    ) {
        TokenFilterFactory[] previous = previousTokenFilters.stream().map(TokenFilterFactory::getSynonymFilter).toArray(TokenFilterFactory[]::new);
        Analyzer analyzer = new CustomAnalyzer(tokenizer, charFilters.toArray(CharFilterFactory[]::new), previous);
        SynonymMap map = buildMap(analyzer);
        String filterName = name;
        boolean isGraph = graph;
        return new TokenFilterFactory() {
            @Override
            public String name() {
                return filterName;
            }

            @Override
            @SuppressWarnings("deprecation")
            public TokenStream create(TokenStream tokenStream) {
                if (map.fst == null) return tokenStream; // no rules: pass through
                return isGraph ? new SynonymGraphFilter(tokenStream, map, false) : new SynonymFilter(tokenStream, map, false);
            }

            @Override
            public TokenFilterFactory getSynonymFilter() {
                // synonyms are not applied to later synonym filters' rules
                return IDENTITY_FILTER;
            }
        };
    }

    private SynonymMap buildMap(Analyzer analyzer) {
        try (Reader reader = rulesReader()) {
            SynonymMap.Parser parser = wordnet ? new WordnetSynonymParser(true, expand, analyzer) : new SolrSynonymParser(true, expand, analyzer);
            if (lenient == false) {
                parser.parse(reader);
                return parser.build();
            }
            // lenient: skip rules that fail to analyze, one line at a time
            String text = readAll(reader);
            for (String line : text.split("\n")) {
                try {
                    parser.parse(new StringReader(line));
                } catch (Exception e) {
                    // ignored, as Elasticsearch does with lenient: true
                }
            }
            return parser.build();
        } catch (IOException | java.text.ParseException e) {
            throw new IllegalArgumentException("failed to build synonyms for [" + name + "]: " + e.getMessage(), e);
        }
    }

    private Reader rulesReader() throws IOException {
        if (rules.isEmpty() == false) return new StringReader(String.join("\n", rules));
        return new StringReader(Files.readString(rulesPath, StandardCharsets.UTF_8));
    }

    private static String readAll(Reader reader) throws IOException {
        StringBuilder out = new StringBuilder();
        char[] buffer = new char[4096];
        for (int n; (n = reader.read(buffer)) > 0;) out.append(buffer, 0, n);
        return out.toString();
    }
}
