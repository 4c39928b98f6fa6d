package io.ferry.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.classic.spi.Configurator.ExecutionStatus;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import io.ferry.Ferry;
import io.ferry.testing.Eventually;
import io.ferry.testing.OriginProcess;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;

/**
 * The built-in application log is what conf/logback-example.xml says, steps aside for a file the operator or a
 * test gives, and is what a Ferry started without one actually uses.
 */
class BuiltInLogConfigTest {
    @TempDir
    Path dir;

    /** What a configured context logs, as far as the operator can tell: levels, the appender, its layout. */
    private record Shape(Level root, Level netty, Level ferry, Class<?> appender, String pattern) {
        static Shape of(LoggerContext context) {
            ch.qos.logback.classic.Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
            List<Appender<?>> appenders = new ArrayList<>();
            root.iteratorForAppenders().forEachRemaining(appenders::add);
            assertEquals(1, appenders.size(), "one appender: " + appenders);
            ConsoleAppender<?> console = assertInstanceOf(ConsoleAppender.class, appenders.get(0));
            assertTrue(console.isStarted());
            String pattern = assertInstanceOf(PatternLayoutEncoder.class, console.getEncoder()).getPattern();
            return new Shape(root.getLevel(), context.getLogger("io.netty").getLevel(),
                    context.getLogger("io.ferry").getLevel(), console.getClass(), pattern);
        }
    }

    @Test
    void withNoFileItConfiguresWhatTheExampleFileSays() throws Exception {
        LoggerContext builtIn = new LoggerContext();
        ExecutionStatus status = new BuiltInLogConfig(key -> null, name -> false).configure(builtIn);
        assertEquals(ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY, status, "Logback's own configurators are not run");

        LoggerContext fromXml = new LoggerContext();
        JoranConfigurator joran = new JoranConfigurator();
        joran.setContext(fromXml);
        joran.doConfigure(Path.of("../conf/logback-example.xml").toFile());

        Shape expected = Shape.of(fromXml);
        assertEquals(new Shape(Level.INFO, Level.WARN, Level.INFO, ConsoleAppender.class, BuiltInLogConfig.PATTERN),
                expected, "the example file");
        assertEquals(expected, Shape.of(builtIn));
        builtIn.stop();
        fromXml.stop();
    }

    @Test
    void aFileGivenByPropertyOrOnTheClassPathWins() {
        for (BuiltInLogConfig given : List.of(
                new BuiltInLogConfig(key -> key.equals("logback.configurationFile") ? "/etc/ferry/logback.xml" : null,
                        name -> false),
                new BuiltInLogConfig(key -> null, "logback.xml"::equals),
                new BuiltInLogConfig(key -> null, "logback-test.xml"::equals))) {
            LoggerContext context = new LoggerContext();
            assertEquals(ExecutionStatus.NEUTRAL, given.configure(context), "Logback goes on to read the file");
            assertTrue(!context.getLogger(Logger.ROOT_LOGGER_NAME).iteratorForAppenders().hasNext(),
                    "nothing was set up");
        }
        // The test class path has logback-test.xml: the real lookups see it.
        assertTrue(new BuiltInLogConfig().fileGiven());
    }

    /**
     * A Ferry process on the build's classes and libraries, without the tests' logback-test.xml, logs through the
     * built-in set-up (Logback finds it through META-INF/services): its lines have the example file's layout, and
     * INFO lines of io.ferry are there.
     */
    @Test
    @Tag("external")
    void ferryWithoutAFileLogsThroughIt() throws Exception {
        String classPath = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.endsWith("test-classes")).collect(Collectors.joining(File.pathSeparator));
        int port = OriginProcess.freePort();
        Path conf = dir.resolve("ferry.conf");
        Files.writeString(conf, """
                ferry {
                  global.warm-up = 0s
                  global.jit-priority = 0
                  listeners = [ { name = http, bind = "127.0.0.1", port = %d } ]
                  backends.app.servers = [ "127.0.0.1:9" ]
                  routes = [ { backend = app } ]
                }
                """.formatted(port));
        Path log = dir.resolve("ferry.log");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx128m", "-cp", classPath, Ferry.class.getName(), conf.toString())
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        for (String key : List.copyOf(pb.environment().keySet())) {
            if (key.equals("JAVA_TOOL_OPTIONS") || key.equals("JDK_JAVA_OPTIONS")) {
                pb.environment().remove(key);
            }
        }
        Process p = pb.start();
        try {
            Eventually.until("Ferry logged its start", 30, () -> {
                if (!p.isAlive()) {
                    throw new IllegalStateException("exited: " + Files.readString(log));
                }
                return Files.readString(log).contains("Ferry started");
            });
        } finally {
            p.destroy();
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        }
        Pattern line = Pattern.compile(
                "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}(Z|[+-]\\d\\d:\\d\\d) INFO  \\[main\\] FerryServer - Ferry started: .*");
        String output = Files.readString(log);
        assertTrue(output.lines().anyMatch(l -> line.matcher(l).matches()), output);
        assertTrue(output.lines().noneMatch(l -> l.contains("DEBUG") || l.startsWith("SLF4J")), output);
    }
}
