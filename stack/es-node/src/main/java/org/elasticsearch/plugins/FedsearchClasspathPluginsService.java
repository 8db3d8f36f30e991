package org.elasticsearch.plugins;

import org.elasticsearch.Build;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.action.admin.cluster.node.info.PluginsAndModules;
import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.spi.SPIClassIterator;

import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * fedsearch's own code (not Elastic's): a {@link PluginsService} whose plugins are classes already
 * on the class path, instead of bundles unpacked under modules/ and plugins/ with a class loader
 * each. It lives in this package only to reach the package-private pieces of PluginsService
 * ({@code LoadedPlugin}, {@code loadPlugin}, {@code createExtension}); the class path is one class
 * loader, so there is no split-package problem.
 *
 * Because every plugin shares the application class loader, SPI providers (META-INF/services) are
 * found once for the whole class path and each is created once, rather than once per plugin.
 */
public final class FedsearchClasspathPluginsService extends PluginsService {

    private final List<LoadedPlugin> classpathPlugins;
    private final PluginsAndModules info;

    public FedsearchClasspathPluginsService(Settings settings, Environment environment, Collection<Class<? extends Plugin>> pluginClasses) {
        super(settings, environment.configDir(), new PluginsLoader(Collections.emptySet(), Collections.emptySet(), Collections.emptyMap()));
        List<LoadedPlugin> loaded = new ArrayList<>();
        for (Class<? extends Plugin> pluginClass : pluginClasses) {
            Plugin instance = loadPlugin(pluginClass, settings, environment.configDir());
            PluginDescriptor descriptor = new PluginDescriptor(
                pluginClass.getSimpleName(),
                "class path plugin " + pluginClass.getName(),
                Build.current().version(),
                Build.current().version(),
                Integer.toString(Runtime.version().feature()),
                pluginClass.getName(),
                null,
                List.of(),
                false,
                false,
                false,
                false,
                PluginDescriptor.DeploymentTarget.ALL
            );
            loaded.add(new LoadedPlugin(descriptor, instance, pluginClass.getClassLoader()));
        }
        this.classpathPlugins = List.copyOf(loaded);
        this.info = new PluginsAndModules(
            classpathPlugins.stream().map(p -> new PluginRuntimeInfo(p.descriptor())).toList(),
            List.of()
        );
        // Extensible plugins (none of ours today) see every other plugin's extensions.
        for (LoadedPlugin p : classpathPlugins) {
            if (p.instance() instanceof ExtensiblePlugin extensible) {
                extensible.loadExtensions(new ExtensiblePlugin.ExtensionLoader() {
                    @Override
                    public <T> List<T> loadExtensions(Class<T> extensionPointType) {
                        return List.copyOf(loadServiceProviders(extensionPointType));
                    }
                });
            }
        }
    }

    @Override
    protected List<LoadedPlugin> plugins() {
        return classpathPlugins;
    }

    @Override
    public PluginsAndModules info() {
        return info;
    }

    @Override
    public <T> List<? extends T> loadServiceProviders(Class<T> service) {
        Map<Class<?>, T> result = new LinkedHashMap<>();
        ClassLoader loader = FedsearchClasspathPluginsService.class.getClassLoader();
        SPIClassIterator<T> classes = SPIClassIterator.get(service, loader);
        while (classes.hasNext()) {
            Class<? extends T> extensionClass = classes.next();
            if (result.containsKey(extensionClass)) continue;
            Plugin owner = ownerFor(extensionClass);
            if (owner == null) continue; // a provider meant for a plugin we do not run
            result.put(extensionClass, createExtension(extensionClass, service, owner));
        }
        return List.copyOf(result.values());
    }

    /** The plugin to hand an SPI provider whose constructor takes one; any plugin when it takes none. */
    private Plugin ownerFor(Class<?> extensionClass) {
        for (Constructor<?> constructor : extensionClass.getConstructors()) {
            if (constructor.getParameterCount() == 1) {
                Class<?> wanted = constructor.getParameterTypes()[0];
                for (LoadedPlugin p : classpathPlugins) {
                    if (wanted.isInstance(p.instance())) return p.instance();
                }
                return null;
            }
        }
        return classpathPlugins.isEmpty() ? null : classpathPlugins.get(0).instance();
    }
}
