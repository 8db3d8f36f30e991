package fedsearch.stack.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.LowerCaseFilter;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.charfilter.HTMLStripCharFilter;
import org.apache.lucene.analysis.charfilter.MappingCharFilter;
import org.apache.lucene.analysis.charfilter.NormalizeCharMap;
import org.apache.lucene.analysis.classic.ClassicFilter;
import org.apache.lucene.analysis.classic.ClassicTokenizer;
import org.apache.lucene.analysis.core.DecimalDigitFilter;
import org.apache.lucene.analysis.core.KeywordTokenizer;
import org.apache.lucene.analysis.core.LetterTokenizer;
import org.apache.lucene.analysis.core.SimpleAnalyzer;
import org.apache.lucene.analysis.core.StopAnalyzer;
import org.apache.lucene.analysis.core.UpperCaseFilter;
import org.apache.lucene.analysis.core.WhitespaceAnalyzer;
import org.apache.lucene.analysis.core.WhitespaceTokenizer;
import org.apache.lucene.analysis.email.UAX29URLEmailTokenizer;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.en.EnglishMinimalStemFilter;
import org.apache.lucene.analysis.en.EnglishPossessiveFilter;
import org.apache.lucene.analysis.en.KStemFilter;
import org.apache.lucene.analysis.en.PorterStemFilter;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.apache.lucene.analysis.miscellaneous.LengthFilter;
import org.apache.lucene.analysis.miscellaneous.RemoveDuplicatesTokenFilter;
import org.apache.lucene.analysis.miscellaneous.TrimFilter;
import org.apache.lucene.analysis.miscellaneous.TruncateTokenFilter;
import org.apache.lucene.analysis.miscellaneous.WordDelimiterFilter;
import org.apache.lucene.analysis.miscellaneous.WordDelimiterGraphFilter;
import org.apache.lucene.analysis.miscellaneous.WordDelimiterIterator;
import org.apache.lucene.analysis.ngram.EdgeNGramTokenFilter;
import org.apache.lucene.analysis.ngram.EdgeNGramTokenizer;
import org.apache.lucene.analysis.ngram.NGramTokenFilter;
import org.apache.lucene.analysis.ngram.NGramTokenizer;
import org.apache.lucene.analysis.path.PathHierarchyTokenizer;
import org.apache.lucene.analysis.pattern.PatternReplaceCharFilter;
import org.apache.lucene.analysis.pattern.PatternReplaceFilter;
import org.apache.lucene.analysis.pattern.PatternTokenizer;
import org.apache.lucene.analysis.reverse.ReverseStringFilter;
import org.apache.lucene.analysis.tr.ApostropheFilter;
import org.apache.lucene.analysis.util.CharTokenizer;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.index.IndexSettings;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.index.analysis.CharFilterFactory;
import org.elasticsearch.index.analysis.NormalizingCharFilterFactory;
import org.elasticsearch.index.analysis.NormalizingTokenFilterFactory;
import org.elasticsearch.index.analysis.PreBuiltAnalyzerProviderFactory;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.indices.analysis.PreBuiltCacheFactory.CachingStrategy;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

import java.io.Reader;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.IntPredicate;
import java.util.regex.Pattern;

import static org.elasticsearch.plugins.AnalysisPlugin.requiresAnalysisSettings;

/**
 * The analysis components fedsearch's index templates use that the Elasticsearch distribution
 * keeps in its analysis-common module, which is not published to Maven Central. Each one wraps the
 * Lucene class of the same name (lucene-analysis-common, a dependency of the server) and reads the
 * same settings, with the same defaults, as the documented Elasticsearch component.
 *
 * Built in to the server already, so not here: the standard tokenizer/analyzer, keyword analyzer,
 * the name-only lowercase filter, stop, shingle, hunspell, and the lowercase normalizer.
 */
public final class FedsearchAnalysisPlugin extends Plugin implements AnalysisPlugin {

    // ---- token filters ------------------------------------------------------------------------

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        Map<String, AnalysisProvider<TokenFilterFactory>> filters = new LinkedHashMap<>();
        filters.put("asciifolding", (index, env, name, s) -> {
            boolean preserve = s.getAsBoolean("preserve_original", false);
            return new NormalizingFilter(name, ts -> new ASCIIFoldingFilter(ts, preserve), ts -> new ASCIIFoldingFilter(ts, false));
        });
        filters.put("lowercase", (index, env, name, s) -> filter(name, lowercase(s.get("language")), true));
        filters.put("uppercase", (index, env, name, s) -> filter(name, UpperCaseFilter::new, true));
        filters.put("trim", (index, env, name, s) -> filter(name, TrimFilter::new, true));
        filters.put("decimal_digit", (index, env, name, s) -> filter(name, DecimalDigitFilter::new, true));
        filters.put("apostrophe", (index, env, name, s) -> filter(name, ApostropheFilter::new, false));
        filters.put("classic", (index, env, name, s) -> filter(name, ClassicFilter::new, false));
        filters.put("reverse", (index, env, name, s) -> filter(name, ReverseStringFilter::new, false));
        filters.put("porter_stem", (index, env, name, s) -> filter(name, PorterStemFilter::new, false));
        filters.put("kstem", (index, env, name, s) -> filter(name, KStemFilter::new, false));
        filters.put("stemmer", (index, env, name, s) -> filter(name, stemmer(s.get("language", s.get("name", "english"))), false));
        filters.put("unique", (index, env, name, s) -> {
            boolean samePosition = s.getAsBoolean("only_on_same_position", false);
            if (samePosition) return filter(name, RemoveDuplicatesTokenFilter::new, false);
            return filter(name, UniqueFilter::new, false);
        });
        filters.put("length", (index, env, name, s) -> {
            int min = s.getAsInt("min", 0);
            int max = s.getAsInt("max", Integer.MAX_VALUE);
            return filter(name, ts -> new LengthFilter(ts, min, max), false);
        });
        filters.put("truncate", (index, env, name, s) -> {
            int length = s.getAsInt("length", 10);
            if (length <= 0) throw new IllegalArgumentException("length parameter must be provided");
            return filter(name, ts -> new TruncateTokenFilter(ts, length), false);
        });
        filters.put("edge_ngram", (index, env, name, s) -> {
            int min = s.getAsInt("min_gram", 1);
            int max = s.getAsInt("max_gram", 2);
            boolean preserve = s.getAsBoolean("preserve_original", false);
            String side = s.get("side", "front");
            if ("back".equals(side)) {
                return filter(
                    name,
                    ts -> new ReverseStringFilter(new EdgeNGramTokenFilter(new ReverseStringFilter(ts), min, max, preserve)),
                    false
                );
            }
            return filter(name, ts -> new EdgeNGramTokenFilter(ts, min, max, preserve), false);
        });
        filters.put("ngram", (index, env, name, s) -> {
            int min = s.getAsInt("min_gram", 1);
            int max = s.getAsInt("max_gram", 2);
            checkNgramDiff(index, "token filter", min, max);
            boolean preserve = s.getAsBoolean("preserve_original", false);
            return filter(name, ts -> new NGramTokenFilter(ts, min, max, preserve), false);
        });
        filters.put("word_delimiter_graph", (index, env, name, s) -> {
            int flags = wordDelimiterFlags(s);
            CharArraySet protectedWords = protectedWords(s);
            boolean adjustOffsets = s.getAsBoolean("adjust_offsets", true);
            return filter(name, ts -> new WordDelimiterGraphFilter(ts, adjustOffsets, WordDelimiterIterator.DEFAULT_WORD_DELIM_TABLE, flags, protectedWords), false);
        });
        filters.put("word_delimiter", (index, env, name, s) -> {
            int flags = wordDelimiterFlags(s);
            CharArraySet protectedWords = protectedWords(s);
            return filter(name, ts -> legacyWordDelimiter(ts, flags, protectedWords), false);
        });
        filters.put("synonym", requiresAnalysisSettings((index, env, name, s) -> new SynonymFilterFactory(env, name, s, false)));
        filters.put("synonym_graph", requiresAnalysisSettings((index, env, name, s) -> new SynonymFilterFactory(env, name, s, true)));
        filters.put("pattern_replace", requiresAnalysisSettings((index, env, name, s) -> {
            Pattern pattern = Pattern.compile(required(s, "pattern", name), regexFlags(s.get("flags")));
            String replacement = s.get("replacement", "");
            boolean all = s.getAsBoolean("all", true);
            return filter(name, ts -> new PatternReplaceFilter(ts, pattern, replacement, all), true);
        }));
        return filters;
    }

    // ---- tokenizers ---------------------------------------------------------------------------

    @Override
    public Map<String, AnalysisProvider<TokenizerFactory>> getTokenizers() {
        Map<String, AnalysisProvider<TokenizerFactory>> tokenizers = new LinkedHashMap<>();
        tokenizers.put("keyword", (index, env, name, s) -> {
            int bufferSize = s.getAsInt("buffer_size", 256);
            return TokenizerFactory.newFactory(name, () -> new KeywordTokenizer(bufferSize));
        });
        tokenizers.put("whitespace", (index, env, name, s) -> {
            int maxTokenLength = s.getAsInt("max_token_length", 255);
            return TokenizerFactory.newFactory(
                name,
                () -> new WhitespaceTokenizer(WhitespaceTokenizer.DEFAULT_TOKEN_ATTRIBUTE_FACTORY, maxTokenLength)
            );
        });
        tokenizers.put("letter", (index, env, name, s) -> TokenizerFactory.newFactory(name, LetterTokenizer::new));
        tokenizers.put("classic", (index, env, name, s) -> {
            int maxTokenLength = s.getAsInt("max_token_length", 255);
            return TokenizerFactory.newFactory(name, () -> {
                ClassicTokenizer t = new ClassicTokenizer();
                t.setMaxTokenLength(maxTokenLength);
                return t;
            });
        });
        tokenizers.put("uax_url_email", (index, env, name, s) -> {
            int maxTokenLength = s.getAsInt("max_token_length", 255);
            return TokenizerFactory.newFactory(name, () -> {
                UAX29URLEmailTokenizer t = new UAX29URLEmailTokenizer();
                t.setMaxTokenLength(maxTokenLength);
                return t;
            });
        });
        tokenizers.put("pattern", (index, env, name, s) -> {
            Pattern pattern = Pattern.compile(s.get("pattern", "\\W+"), regexFlags(s.get("flags")));
            int group = s.getAsInt("group", -1);
            return TokenizerFactory.newFactory(name, () -> new PatternTokenizer(pattern, group));
        });
        tokenizers.put("char_group", (index, env, name, s) -> {
            IntPredicate separator = charGroup(s.getAsList("tokenize_on_chars"));
            int maxTokenLength = s.getAsInt("max_token_length", 255);
            return TokenizerFactory.newFactory(name, () -> new CharTokenizer(CharTokenizer.DEFAULT_TOKEN_ATTRIBUTE_FACTORY, maxTokenLength) {
                @Override
                protected boolean isTokenChar(int c) {
                    return separator.test(c) == false;
                }
            });
        });
        tokenizers.put("edge_ngram", (index, env, name, s) -> {
            int min = s.getAsInt("min_gram", 1);
            int max = s.getAsInt("max_gram", 2);
            IntPredicate tokenChars = tokenChars(s);
            return TokenizerFactory.newFactory(name, () -> new EdgeNGramTokenizer(min, max) {
                @Override
                protected boolean isTokenChar(int c) {
                    return tokenChars.test(c);
                }
            });
        });
        tokenizers.put("ngram", (index, env, name, s) -> {
            int min = s.getAsInt("min_gram", 1);
            int max = s.getAsInt("max_gram", 2);
            checkNgramDiff(index, "tokenizer", min, max);
            IntPredicate tokenChars = tokenChars(s);
            return TokenizerFactory.newFactory(name, () -> new NGramTokenizer(min, max) {
                @Override
                protected boolean isTokenChar(int c) {
                    return tokenChars.test(c);
                }
            });
        });
        tokenizers.put("path_hierarchy", (index, env, name, s) -> {
            char delimiter = singleChar(s.get("delimiter", "/"), "delimiter");
            char replacement = singleChar(s.get("replacement", String.valueOf(delimiter)), "replacement");
            int skip = s.getAsInt("skip", 0);
            int bufferSize = s.getAsInt("buffer_size", 1024);
            return TokenizerFactory.newFactory(name, () -> new PathHierarchyTokenizer(bufferSize, delimiter, replacement, skip));
        });
        return tokenizers;
    }

    // ---- char filters -------------------------------------------------------------------------

    @Override
    public Map<String, AnalysisProvider<CharFilterFactory>> getCharFilters() {
        Map<String, AnalysisProvider<CharFilterFactory>> charFilters = new LinkedHashMap<>();
        charFilters.put("html_strip", (index, env, name, s) -> {
            var escaped = new HashSet<>(s.getAsList("escaped_tags"));
            return charFilter(name, reader -> new HTMLStripCharFilter(reader, escaped), false);
        });
        charFilters.put("pattern_replace", requiresAnalysisSettings((index, env, name, s) -> {
            Pattern pattern = Pattern.compile(required(s, "pattern", name), regexFlags(s.get("flags")));
            String replacement = s.get("replacement", "");
            return charFilter(name, reader -> new PatternReplaceCharFilter(pattern, replacement, reader), true);
        }));
        charFilters.put("mapping", requiresAnalysisSettings((index, env, name, s) -> {
            List<String> rules = s.getAsList("mappings");
            if (rules.isEmpty()) throw new IllegalArgumentException("mapping requires either `mappings` or `mappings_path` to be configured");
            NormalizeCharMap map = mappingRules(rules);
            return charFilter(name, reader -> new MappingCharFilter(map, reader), true);
        }));
        return charFilters;
    }

    // ---- analyzers ----------------------------------------------------------------------------

    @Override
    public Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> getAnalyzers() {
        Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> analyzers = new LinkedHashMap<>();
        analyzers.put("simple", (index, env, name, s) -> new FixedAnalyzer(name, new SimpleAnalyzer()));
        analyzers.put("whitespace", (index, env, name, s) -> new FixedAnalyzer(name, new WhitespaceAnalyzer()));
        analyzers.put("stop", (index, env, name, s) -> {
            List<String> words = s.getAsList("stopwords");
            CharArraySet stopWords = words.isEmpty() || words.equals(List.of("_english_"))
                ? EnglishAnalyzer.ENGLISH_STOP_WORDS_SET
                : new CharArraySet(words, true);
            return new FixedAnalyzer(name, new StopAnalyzer(stopWords));
        });
        return analyzers;
    }

    @Override
    public List<PreBuiltAnalyzerProviderFactory> getPreBuiltAnalyzerProviderFactories() {
        return List.of(
            new PreBuiltAnalyzerProviderFactory("simple", CachingStrategy.ONE, SimpleAnalyzer::new),
            new PreBuiltAnalyzerProviderFactory("whitespace", CachingStrategy.ONE, WhitespaceAnalyzer::new),
            new PreBuiltAnalyzerProviderFactory("stop", CachingStrategy.ONE, () -> new StopAnalyzer(EnglishAnalyzer.ENGLISH_STOP_WORDS_SET))
        );
    }

    // ---- helpers ------------------------------------------------------------------------------

    private static Function<TokenStream, TokenStream> lowercase(String language) {
        if (language == null) return LowerCaseFilter::new;
        return switch (language.toLowerCase(Locale.ROOT)) {
            case "greek" -> org.apache.lucene.analysis.el.GreekLowerCaseFilter::new;
            case "irish" -> org.apache.lucene.analysis.ga.IrishLowerCaseFilter::new;
            case "turkish" -> org.apache.lucene.analysis.tr.TurkishLowerCaseFilter::new;
            default -> throw new IllegalArgumentException("language [" + language + "] not supported for lowercase");
        };
    }

    private static Function<TokenStream, TokenStream> stemmer(String language) {
        return switch (language.toLowerCase(Locale.ROOT)) {
            case "english", "porter" -> PorterStemFilter::new;
            case "light_english", "kstem" -> KStemFilter::new;
            case "minimal_english" -> EnglishMinimalStemFilter::new;
            case "possessive_english" -> EnglishPossessiveFilter::new;
            default -> throw new IllegalArgumentException(
                "stemmer language [" + language + "] is not available on this local node (english, light_english, minimal_english, "
                    + "possessive_english, porter are)"
            );
        };
    }

    private static void checkNgramDiff(IndexSettings index, String kind, int min, int max) {
        int allowed = index == null ? 1 : index.getMaxNgramDiff();
        if (max - min > allowed) {
            throw new IllegalArgumentException(
                "The difference between max_gram and min_gram in NGram "
                    + kind
                    + " must be less than or equal to: ["
                    + allowed
                    + "] but was ["
                    + (max - min)
                    + "]. This limit can be set by changing the [index.max_ngram_diff] index level setting."
            );
        }
    }

    private static int wordDelimiterFlags(Settings s) {
        int flags = 0;
        flags |= flag(s, "generate_word_parts", true, WordDelimiterGraphFilter.GENERATE_WORD_PARTS);
        flags |= flag(s, "generate_number_parts", true, WordDelimiterGraphFilter.GENERATE_NUMBER_PARTS);
        flags |= flag(s, "catenate_words", false, WordDelimiterGraphFilter.CATENATE_WORDS);
        flags |= flag(s, "catenate_numbers", false, WordDelimiterGraphFilter.CATENATE_NUMBERS);
        flags |= flag(s, "catenate_all", false, WordDelimiterGraphFilter.CATENATE_ALL);
        flags |= flag(s, "split_on_case_change", true, WordDelimiterGraphFilter.SPLIT_ON_CASE_CHANGE);
        flags |= flag(s, "preserve_original", false, WordDelimiterGraphFilter.PRESERVE_ORIGINAL);
        flags |= flag(s, "split_on_numerics", true, WordDelimiterGraphFilter.SPLIT_ON_NUMERICS);
        flags |= flag(s, "stem_english_possessive", true, WordDelimiterGraphFilter.STEM_ENGLISH_POSSESSIVE);
        flags |= flag(s, "ignore_keywords", false, WordDelimiterGraphFilter.IGNORE_KEYWORDS);
        return flags;
    }

    @SuppressWarnings("deprecation")
    private static TokenStream legacyWordDelimiter(TokenStream ts, int flags, CharArraySet protectedWords) {
        // The non-graph filter's flag bits have the same values as the graph filter's.
        return new WordDelimiterFilter(ts, flags, protectedWords);
    }

    private static int flag(Settings s, String key, boolean defaultValue, int bit) {
        return s.getAsBoolean(key, defaultValue) ? bit : 0;
    }

    private static CharArraySet protectedWords(Settings s) {
        List<String> words = s.getAsList("protected_words");
        return words.isEmpty() ? null : new CharArraySet(words, false);
    }

    private static String required(Settings s, String key, String component) {
        String value = s.get(key);
        if (value == null) throw new IllegalArgumentException("[" + component + "] requires the [" + key + "] setting");
        return value;
    }

    /** Java regex flags written as in Elasticsearch: "CASE_INSENSITIVE|COMMENTS". */
    private static int regexFlags(String flags) {
        if (flags == null || flags.isBlank()) return 0;
        int result = 0;
        for (String flag : flags.split("\\|")) {
            result |= switch (flag.trim().toUpperCase(Locale.ROOT)) {
                case "CANON_EQ" -> Pattern.CANON_EQ;
                case "CASE_INSENSITIVE" -> Pattern.CASE_INSENSITIVE;
                case "COMMENTS" -> Pattern.COMMENTS;
                case "DOTALL" -> Pattern.DOTALL;
                case "LITERAL" -> Pattern.LITERAL;
                case "MULTILINE" -> Pattern.MULTILINE;
                case "UNICODE_CASE" -> Pattern.UNICODE_CASE;
                case "UNICODE_CHARACTER_CLASS" -> Pattern.UNICODE_CHARACTER_CLASS;
                case "UNIX_LINES" -> Pattern.UNIX_LINES;
                default -> throw new IllegalArgumentException("Unknown regex flag [" + flag + "]");
            };
        }
        return result;
    }

    /** token_chars for the n-gram tokenizers: empty means every character belongs to a token. */
    private static IntPredicate tokenChars(Settings s) {
        List<String> classes = s.getAsList("token_chars");
        if (classes.isEmpty()) return c -> true;
        String custom = s.get("custom_token_chars", "");
        List<IntPredicate> matchers = new ArrayList<>();
        for (String cls : classes) {
            matchers.add(switch (cls.toLowerCase(Locale.ROOT)) {
                case "letter" -> Character::isLetter;
                case "digit" -> Character::isDigit;
                case "whitespace" -> Character::isWhitespace;
                case "punctuation" -> c -> isPunctuation(Character.getType(c));
                case "symbol" -> c -> isSymbol(Character.getType(c));
                case "custom" -> {
                    if (custom.isEmpty()) throw new IllegalArgumentException("Token type: [custom] requires setting [custom_token_chars]");
                    yield c -> custom.indexOf(c) >= 0;
                }
                default -> throw new IllegalArgumentException(
                    "Unknown token type: '" + cls + "', must be one of [letter, digit, whitespace, punctuation, symbol, custom]"
                );
            });
        }
        return c -> {
            for (IntPredicate m : matchers) if (m.test(c)) return true;
            return false;
        };
    }

    private static boolean isPunctuation(int type) {
        return type == Character.START_PUNCTUATION
            || type == Character.END_PUNCTUATION
            || type == Character.OTHER_PUNCTUATION
            || type == Character.CONNECTOR_PUNCTUATION
            || type == Character.DASH_PUNCTUATION
            || type == Character.INITIAL_QUOTE_PUNCTUATION
            || type == Character.FINAL_QUOTE_PUNCTUATION;
    }

    private static boolean isSymbol(int type) {
        return type == Character.MATH_SYMBOL
            || type == Character.CURRENCY_SYMBOL
            || type == Character.MODIFIER_SYMBOL
            || type == Character.OTHER_SYMBOL;
    }

    /** char_group's tokenize_on_chars: single characters, escapes like "\n", or classes like "whitespace". */
    private static IntPredicate charGroup(List<String> entries) {
        List<IntPredicate> matchers = new ArrayList<>();
        StringBuilder chars = new StringBuilder();
        for (String entry : entries) {
            switch (entry) {
                case "letter" -> matchers.add(Character::isLetter);
                case "digit" -> matchers.add(Character::isDigit);
                case "whitespace" -> matchers.add(Character::isWhitespace);
                case "punctuation" -> matchers.add(c -> isPunctuation(Character.getType(c)));
                case "symbol" -> matchers.add(c -> isSymbol(Character.getType(c)));
                default -> chars.append(unescape(entry));
            }
        }
        String set = chars.toString();
        return c -> {
            if (set.indexOf(c) >= 0) return true;
            for (IntPredicate m : matchers) if (m.test(c)) return true;
            return false;
        };
    }

    private static String unescape(String s) {
        return switch (s) {
            case "\\n" -> "\n";
            case "\\r" -> "\r";
            case "\\t" -> "\t";
            case "\\f" -> "\f";
            case "\\\\" -> "\\";
            default -> {
                if (s.startsWith("\\u") && s.length() == 6) yield String.valueOf((char) Integer.parseInt(s.substring(2), 16));
                if (s.codePointCount(0, s.length()) != 1) throw new IllegalArgumentException("Invalid escaped char in [" + s + "]");
                yield s;
            }
        };
    }

    private static char singleChar(String value, String key) {
        if (value.length() != 1) throw new IllegalArgumentException("[" + key + "] must be a single character, got [" + value + "]");
        return value.charAt(0);
    }

    /** "a => b" rules, with the same escapes as the mapping char filter. */
    private static NormalizeCharMap mappingRules(List<String> rules) {
        NormalizeCharMap.Builder builder = new NormalizeCharMap.Builder();
        for (String rule : rules) {
            int arrow = rule.indexOf("=>");
            if (arrow < 0) throw new IllegalArgumentException("Invalid mapping rule : [" + rule + "]");
            String from = unescapeAll(rule.substring(0, arrow).trim());
            String to = unescapeAll(rule.substring(arrow + 2).trim());
            if (from.isEmpty()) throw new IllegalArgumentException("Invalid mapping rule: [" + rule + "]. Replacement source cannot be empty.");
            builder.add(from, to);
        }
        return builder.build();
    }

    private static String unescapeAll(String s) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                switch (n) {
                    case 'n' -> out.append('\n');
                    case 't' -> out.append('\t');
                    case 'r' -> out.append('\r');
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'u' -> {
                        out.append((char) Integer.parseInt(s.substring(i + 1, i + 5), 16));
                        i += 4;
                    }
                    default -> out.append(n);
                }
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** A token filter factory around one Lucene filter. */
    private static TokenFilterFactory filter(String name, Function<TokenStream, TokenStream> wrap, boolean normalizing) {
        return normalizing ? new NormalizingFilter(name, wrap, wrap) : new Filter(name, wrap);
    }

    private record Filter(String name, Function<TokenStream, TokenStream> wrap) implements TokenFilterFactory {
        @Override
        public TokenStream create(TokenStream tokenStream) {
            return wrap.apply(tokenStream);
        }
    }

    /** Also allowed in keyword normalizers (and applied to multi-term queries such as prefix/wildcard). */
    private record NormalizingFilter(String name, Function<TokenStream, TokenStream> wrap, Function<TokenStream, TokenStream> normalizer)
        implements
            NormalizingTokenFilterFactory {
        @Override
        public TokenStream create(TokenStream tokenStream) {
            return wrap.apply(tokenStream);
        }

        @Override
        public TokenStream normalize(TokenStream tokenStream) {
            return normalizer.apply(tokenStream);
        }
    }

    private static CharFilterFactory charFilter(String name, Function<Reader, Reader> wrap, boolean normalizing) {
        return normalizing ? new NormalizingCharFilter(name, wrap) : new CharFilter(name, wrap);
    }

    private record CharFilter(String name, Function<Reader, Reader> wrap) implements CharFilterFactory {
        @Override
        public Reader create(Reader reader) {
            return wrap.apply(reader);
        }
    }

    private record NormalizingCharFilter(String name, Function<Reader, Reader> wrap) implements NormalizingCharFilterFactory {
        @Override
        public Reader create(Reader reader) {
            return wrap.apply(reader);
        }
    }

    private static final class FixedAnalyzer extends org.elasticsearch.index.analysis.AbstractIndexAnalyzerProvider<Analyzer> {
        private final Analyzer analyzer;

        FixedAnalyzer(String name, Analyzer analyzer) {
            super(name);
            this.analyzer = analyzer;
        }

        @Override
        public Analyzer get() {
            return analyzer;
        }
    }

    /** Drops a token already seen in this stream (the "unique" filter without only_on_same_position). */
    private static final class UniqueFilter extends org.apache.lucene.analysis.TokenFilter {
        private final org.apache.lucene.analysis.tokenattributes.CharTermAttribute term = addAttribute(
            org.apache.lucene.analysis.tokenattributes.CharTermAttribute.class
        );
        private final CharArraySet seen = new CharArraySet(8, false);

        UniqueFilter(TokenStream in) {
            super(in);
        }

        @Override
        public boolean incrementToken() throws java.io.IOException {
            while (input.incrementToken()) {
                char[] buffer = term.buffer();
                int length = term.length();
                if (seen.contains(buffer, 0, length) == false) {
                    char[] copy = new char[length];
                    System.arraycopy(buffer, 0, copy, 0, length);
                    seen.add(copy);
                    return true;
                }
            }
            return false;
        }

        @Override
        public void reset() throws java.io.IOException {
            super.reset();
            seen.clear();
        }
    }
}
