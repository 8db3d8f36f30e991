package org.elasticsearch.node;

import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.FedsearchClasspathPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;

import java.util.Collection;
import java.util.List;

/**
 * fedsearch's own code (not Elastic's): an unmodified Elasticsearch {@link Node} whose plugins are
 * classes on the class path. Everything but plugin discovery is the stock node construction; this
 * class sits in org.elasticsearch.node only because {@code NodeConstruction} and
 * {@code NodeServiceProvider} are package-private (Elastic's own test framework does the same).
 */
public final class FedsearchNode extends Node {

    public FedsearchNode(Environment environment, Collection<Class<? extends Plugin>> pluginClasses) {
        super(NodeConstruction.prepareConstruction(environment, null, new NodeServiceProvider() {
            @Override
            PluginsService newPluginService(Environment initialEnvironment, PluginsLoader pluginsLoader) {
                return new FedsearchClasspathPluginsService(initialEnvironment.settings(), initialEnvironment, List.copyOf(pluginClasses));
            }
        }, true));
    }
}
