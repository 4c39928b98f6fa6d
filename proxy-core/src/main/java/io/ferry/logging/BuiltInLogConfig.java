package io.ferry.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import java.util.List;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;

/**
 * Ferry's application log when no Logback file is given: INFO to stdout, one line per event with an ISO-8601
 * time, Netty's own messages from WARN (its leak reports are ERROR). {@code conf/logback-example.xml} is the same
 * as XML. Set up in code because Logback's XML configurator (SAX parsing, reflection, annotation proxies) took
 * 0.1-0.2 s of every start before the port opened. A file named by {@code -Dlogback.configurationFile}, or a
 * {@code logback-test.xml} / {@code logback.xml} on the class path, wins: this steps aside and Logback reads it.
 * Found by Logback through {@code META-INF/services/ch.qos.logback.classic.spi.Configurator}.
 */
public final class BuiltInLogConfig extends ContextAwareBase implements Configurator {
    /** The layout of every line; conf/logback-example.xml carries the same. */
    public static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{0} - %msg%n";
    /** Logback's own names for a configuration file, the property first, as it searches them. */
    static final String FILE_PROPERTY = "logback.configurationFile";
    static final List<String> FILE_RESOURCES = List.of("logback-test.xml", "logback.xml");

    private final UnaryOperator<String> properties;
    private final Predicate<String> onClassPath;

    public BuiltInLogConfig() {
        this(System::getProperty, name -> BuiltInLogConfig.class.getClassLoader().getResource(name) != null);
    }

    BuiltInLogConfig(UnaryOperator<String> properties, Predicate<String> onClassPath) {
        this.properties = properties;
        this.onClassPath = onClassPath;
    }

    /** True when the operator (or a test) gave Logback a file of its own. */
    boolean fileGiven() {
        String file = properties.apply(FILE_PROPERTY);
        return file != null && !file.isBlank() || FILE_RESOURCES.stream().anyMatch(onClassPath);
    }

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        if (fileGiven()) {
            return ExecutionStatus.NEUTRAL;
        }
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern(PATTERN);
        encoder.start();
        ConsoleAppender<ILoggingEvent> stdout = new ConsoleAppender<>();
        stdout.setContext(context);
        stdout.setName("STDOUT");
        stdout.setEncoder(encoder);
        stdout.start();
        context.getLogger("io.netty").setLevel(Level.WARN);
        context.getLogger("io.ferry").setLevel(Level.INFO);
        ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(stdout);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
