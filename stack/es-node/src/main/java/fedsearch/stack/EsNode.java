package fedsearch.stack;

import fedsearch.stack.analysis.FedsearchAnalysisPlugin;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.elasticsearch.Build;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.FedsearchNode;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.transport.netty4.Netty4Plugin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Starts one real Elasticsearch node in this JVM, bound to 127.0.0.1, for local development.
 *
 * <pre>
 * java -Xms1g -Xmx1g [recommended flags] -cp CLASSPATH fedsearch.stack.EsNode --home DIR
 *      [--http-port 9200] [--transport-port 9300] [--node-name NAME] [--cluster-name NAME] [-E key=value]...
 * </pre>
 *
 * DIR holds config/ (logging config written here), data/ and logs/. The node runs until the
 * process is stopped; SIGTERM or SIGINT close it cleanly (flushes shards, releases the data lock).
 * Exit code 1 when it cannot start.
 */
public final class EsNode {

    /** Printed (and logged) once HTTP answers; launchers can wait for this line. */
    public static final String STARTED_MARKER = "fedsearch-es-node started";

    private EsNode() {}

    public static void main(String[] args) {
        Options options;
        try {
            options = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("es-node: " + e.getMessage());
            System.err.println(
                "usage: EsNode --home DIR [--http-port 9200] [--transport-port 9300] [--node-name NAME] [--cluster-name NAME] [-E key=value]..."
            );
            System.exit(2);
            return;
        }
        try {
            run(options);
        } catch (Throwable t) {
            System.err.println("es-node: Elasticsearch failed to start: " + t);
            t.printStackTrace();
            System.err.flush();
            Runtime.getRuntime().halt(1);
        }
    }

    private static void run(Options options) throws Exception {
        Path home = options.home.toAbsolutePath().normalize();
        Path config = home.resolve("config");
        Files.createDirectories(config);
        Files.createDirectories(home.resolve("data"));
        Files.createDirectories(home.resolve("logs"));
        Files.createDirectories(home.resolve("plugins"));
        Files.createDirectories(home.resolve("modules"));
        Files.writeString(config.resolve("log4j2.properties"), LOG4J_CONFIG, StandardCharsets.UTF_8);
        String nativeNote = prepareNativeLibraries(home);

        Settings.Builder settings = Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", home.resolve("data").toString())
            .put("path.logs", home.resolve("logs").toString())
            .put("cluster.name", options.clusterName)
            .put("node.name", options.nodeName)
            .put("network.host", "127.0.0.1")
            .put("http.host", "127.0.0.1")
            .put("http.port", options.httpPort)
            .put("transport.host", "127.0.0.1")
            .put("transport.port", options.transportPort)
            .put("discovery.type", "single-node")
            // A laptop disk that is 90% full must not make every index read-only.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            // A throwaway dev node: allow DELETE on wildcards (e.g. test clean-up of movies_*).
            .put("action.destructive_requires_name", false);
        for (Map.Entry<String, String> extra : options.extraSettings) {
            settings.put(extra.getKey(), extra.getValue());
        }

        LogConfigurator.registerErrorListener();
        LogConfigurator.setClusterName(options.clusterName);
        LogConfigurator.setNodeName(options.nodeName);
        Environment environment = InternalSettingsPreparer.prepareEnvironment(settings.build(), Map.of(), config, () -> options.nodeName);
        LogConfigurator.configure(environment, true);
        Logger logger = LogManager.getLogger(EsNode.class);
        logger.info(
            "starting Elasticsearch {} (Lucene {}) in-process; home [{}], Java {}",
            Build.current().qualifiedVersion(),
            org.apache.lucene.util.Version.LATEST,
            home,
            Runtime.version()
        );
        logger.info(nativeNote);

        List<Class<? extends Plugin>> plugins = List.of(Netty4Plugin.class, FedsearchAnalysisPlugin.class, BannerPlugin.class);
        long startNanos = System.nanoTime();
        Node node = new FedsearchNode(environment, plugins);

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            logger.info("stopping Elasticsearch (signal)");
            try {
                node.close();
                if (node.awaitClose(20, TimeUnit.SECONDS) == false) {
                    logger.warn("node did not close within 20s");
                }
            } catch (IOException | InterruptedException e) {
                logger.warn("error while closing node", e);
            } finally {
                logger.info("stopped");
                LogManager.shutdown();
                stopped.countDown();
            }
        }, "fedsearch-es-node-shutdown"));

        node.start();
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
        String line = STARTED_MARKER + ": http://127.0.0.1:" + options.httpPort + " (Elasticsearch " + Build.current().qualifiedVersion()
            + ", cluster " + options.clusterName + ", node " + options.nodeName + ", " + millis + " ms)";
        logger.info(line);

        // The node's own threads keep running; the main thread just waits for the shutdown hook.
        stopped.await();
    }

    /**
     * Elasticsearch's native access (memory locking, rlimits, zstd for best_compression) loads its
     * libraries from the distribution's lib/platform/OS-ARCH/ folder, which Maven Central does not
     * ship. It needs zstd to enable native access at all: point it at a folder holding a link to
     * the system's libzstd (Debian: libzstd1), and switch off the optional native vector library.
     * Without libzstd, Elasticsearch logs a warning and runs with native methods disabled
     * (everything fedsearch uses still works).
     */
    private static String prepareNativeLibraries(Path home) throws IOException {
        if (System.getProperty("es.nativelibs.path") != null) {
            return "native libraries from es.nativelibs.path [" + System.getProperty("es.nativelibs.path") + "]";
        }
        Path dir = home.resolve("native");
        Files.createDirectories(dir);
        Path link = dir.resolve(System.mapLibraryName("zstd"));
        Path system = findSystemLibrary("libzstd.so.1");
        Files.deleteIfExists(link);
        System.setProperty("es.nativelibs.path", dir.toString());
        // libvec (SIMD vector scoring) ships only in the distribution; Lucene's Panama code is used instead.
        if (System.getProperty("org.elasticsearch.nativeaccess.enableVectorLibrary") == null) {
            System.setProperty("org.elasticsearch.nativeaccess.enableVectorLibrary", "false");
        }
        if (system == null) {
            return "no system libzstd.so.1 found: Elasticsearch will run with native methods disabled";
        }
        Files.createSymbolicLink(link, system);
        return "native zstd from [" + system + "]";
    }

    private static Path findSystemLibrary(String file) {
        for (String dir : List.of(
            "/usr/lib/x86_64-linux-gnu",
            "/usr/lib/aarch64-linux-gnu",
            "/lib/x86_64-linux-gnu",
            "/lib/aarch64-linux-gnu",
            "/usr/lib64",
            "/usr/lib",
            "/usr/local/lib"
        )) {
            Path candidate = Path.of(dir, file);
            if (Files.exists(candidate)) return candidate;
        }
        return null;
    }

    private record Options(
        Path home,
        String httpPort,
        String transportPort,
        String nodeName,
        String clusterName,
        List<Map.Entry<String, String>> extraSettings
    ) {
        static Options parse(String[] args) {
            Path home = null;
            String httpPort = "9200";
            String transportPort = "9300";
            String nodeName = "fedsearch-local-1";
            String clusterName = "fedsearch-local";
            List<Map.Entry<String, String>> extra = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                String arg = args[i];
                String value = i + 1 < args.length ? args[i + 1] : null;
                switch (arg) {
                    case "--home" -> home = Path.of(required(arg, value));
                    case "--http-port" -> httpPort = port(arg, required(arg, value));
                    case "--transport-port" -> transportPort = port(arg, required(arg, value));
                    case "--node-name" -> nodeName = required(arg, value);
                    case "--cluster-name" -> clusterName = required(arg, value);
                    case "-E" -> {
                        String kv = required(arg, value);
                        int eq = kv.indexOf('=');
                        if (eq <= 0) throw new IllegalArgumentException("-E needs key=value, got [" + kv + "]");
                        extra.add(Map.entry(kv.substring(0, eq), kv.substring(eq + 1)));
                    }
                    default -> throw new IllegalArgumentException("unknown argument [" + arg + "]");
                }
                i++;
            }
            if (home == null) throw new IllegalArgumentException("--home DIR is required");
            return new Options(home, httpPort, transportPort, nodeName, clusterName, extra);
        }

        private static String required(String flag, String value) {
            if (value == null) throw new IllegalArgumentException(flag + " needs a value");
            return value;
        }

        private static String port(String flag, String value) {
            try {
                int port = Integer.parseInt(value);
                if (port < 1 || port > 65535) throw new NumberFormatException();
                return value;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(flag + " needs a port number, got [" + value + "]");
            }
        }
    }

    /** Console (the launcher keeps stdout) plus a plain-text file under path.logs. */
    private static final String LOG4J_CONFIG = """
        status = error
        appender.console.type = Console
        appender.console.name = console
        appender.console.layout.type = PatternLayout
        appender.console.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n
        appender.file.type = RollingFile
        appender.file.name = file
        appender.file.fileName = ${sys:es.logs.base_path}${sys:file.separator}${sys:es.logs.cluster_name}.log
        appender.file.filePattern = ${sys:es.logs.base_path}${sys:file.separator}${sys:es.logs.cluster_name}-%i.log.gz
        appender.file.layout.type = PatternLayout
        appender.file.layout.pattern = [%d{ISO8601}][%-5p][%-25c{1.}] [%node_name]%marker %m%n
        appender.file.policies.type = Policies
        appender.file.policies.size.type = SizeBasedTriggeringPolicy
        appender.file.policies.size.size = 64MB
        appender.file.strategy.type = DefaultRolloverStrategy
        appender.file.strategy.max = 3
        rootLogger.level = info
        rootLogger.appenderRef.console.ref = console
        rootLogger.appenderRef.file.ref = file
        logger.deprecation.name = org.elasticsearch.deprecation
        logger.deprecation.level = error
        """;
}
