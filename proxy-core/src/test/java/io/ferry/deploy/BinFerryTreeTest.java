package io.ferry.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What bin/ferry gives the JVM from what its tree holds, run on a copy of the script in a tree of its own (a fake jar,
 * whose age and whose neighbours' the test sets) with fake JDKs (a {@code java} that writes its arguments down, and
 * the {@code release} file the script reads the version from): the class-data archive for the JVM it runs (an AppCDS
 * archive, {@code ferry.jar.jsa}, on Java 17-24, an AOT cache, {@code ferry.jar.aot}, on Java 25+, made by the first
 * run and used by later ones while it is newer than the jar), and the native libraries the build unpacked.
 * {@link AotCacheProcessTest} runs a real JDK 25.
 */
class BinFerryTreeTest {
    @TempDir
    Path dir;
    private Path tree;
    private Path jar;
    private Path args;

    @BeforeEach
    void copyTheLauncher() throws Exception {
        tree = dir.resolve("ferry");
        Files.createDirectories(tree.resolve("bin"));
        Files.copy(Path.of("..").toAbsolutePath().normalize().resolve("bin/ferry"), tree.resolve("bin/ferry"));
        jar = Files.createDirectories(tree.resolve("proxy-core/target")).resolve("ferry.jar");
        Files.writeString(jar, "not a jar");
        args = dir.resolve("args");
    }

    /** A JDK home whose java writes "java of NAME" and then its arguments to {@code args}. */
    private Path fakeJdk(String name, String version) throws Exception {
        Path home = dir.resolve(name);
        Path java = Files.createDirectories(home.resolve("bin")).resolve("java");
        Files.writeString(java, "#!/bin/sh\n{ echo 'java of " + name + "'; printf '%s\\n' \"$@\"; } > '" + args + "'\n");
        assertTrue(java.toFile().setExecutable(true));
        Files.writeString(home.resolve("release"), "IMPLEMENTOR=\"test\"\nJAVA_VERSION=\"" + version + "\"\n");
        return home;
    }

    private List<String> launch(Path javaHome, Map<String, String> env) throws Exception {
        return launch(javaHome, env, List.of("some.conf"));
    }

    private List<String> launch(Path javaHome, Map<String, String> env, List<String> arguments) throws Exception {
        Files.deleteIfExists(args);
        List<String> command = new java.util.ArrayList<>(List.of("bash", tree.resolve("bin/ferry").toString()));
        command.addAll(arguments);
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).redirectErrorStream(true)
                .redirectOutput(dir.resolve("launch.log").toFile());
        pb.environment().put("JAVA_HOME", javaHome.toString());
        pb.environment().remove("JAVA_OPTS");
        pb.environment().remove("FERRY_CLASSPATH");
        pb.environment().remove("FERRY_CDS");
        pb.environment().remove("LD_LIBRARY_PATH");
        pb.environment().putAll(env);
        Process p = pb.start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "bin/ferry returns");
        assertEquals(0, p.exitValue(), Files.readString(dir.resolve("launch.log")));
        return Files.readAllLines(args);
    }

    /** Sets the file's modification time this many seconds after (negative: before) the jar's. */
    private void age(Path file, long secondsAfterTheJar) throws Exception {
        long built = Files.getLastModifiedTime(jar).toMillis();
        Files.setLastModifiedTime(file, FileTime.fromMillis(built + secondsAfterTheJar * 1000));
    }

    private static long count(List<String> given, String prefix) {
        return given.stream().filter(a -> a.startsWith(prefix)).count();
    }

    @Test
    void java25MakesAnAotCacheOnTheFirstRunAndUsesItWhileItIsNewerThanTheJar() throws Exception {
        Path jdk = fakeJdk("jdk25", "25.0.3");
        Path aot = Path.of(jar + ".aot");

        List<String> first = launch(jdk, Map.of());
        assertEquals("java of jdk25", first.get(0), "JAVA_HOME's java runs: " + first);
        assertTrue(first.contains("-XX:AOTCacheOutput=" + aot), first.toString());
        assertEquals(0, count(first, "-XX:AOTCache=") + count(first, "-XX:SharedArchiveFile")
                + count(first, "-XX:ArchiveClassesAtExit"), first.toString());
        assertTrue(first.contains("-Xlog:aot=off"), "its messages stay out of the log: " + first);
        // Netty's buffers as on Java 17 (Unsafe allowed), no native-access warning
        assertTrue(first.contains("--sun-misc-unsafe-memory-access=allow"), first.toString());
        assertTrue(first.contains("--enable-native-access=ALL-UNNAMED"), first.toString());

        Files.writeString(aot, "cache");
        age(aot, 10);
        List<String> later = launch(jdk, Map.of());
        assertTrue(later.contains("-XX:AOTCache=" + aot), later.toString());
        assertEquals(0, count(later, "-XX:AOTCacheOutput") + count(later, "-Xshare"), later.toString());

        age(aot, -10);
        List<String> rebuilt = launch(jdk, Map.of());
        assertTrue(rebuilt.contains("-XX:AOTCacheOutput=" + aot), "a rebuilt jar makes a new cache: " + rebuilt);

        // An upgrade uses a cache but does not make one: its warm-up would be in the profiles.
        List<String> upgrade = launch(jdk, Map.of(), List.of("upgrade", "some.conf"));
        assertTrue(upgrade.contains("--upgrade"), upgrade.toString());
        assertEquals(0, count(upgrade, "-XX:AOT"), upgrade.toString());
        age(aot, 10);
        assertTrue(launch(jdk, Map.of(), List.of("upgrade", "some.conf")).contains("-XX:AOTCache=" + aot));
    }

    @Test
    void java17MakesAndUsesAnAppCdsArchive() throws Exception {
        Path jdk = fakeJdk("jdk17", "17.0.15");
        Path jsa = Path.of(jar + ".jsa");

        List<String> first = launch(jdk, Map.of());
        assertEquals("java of jdk17", first.get(0));
        assertTrue(first.contains("-XX:ArchiveClassesAtExit=" + jsa), first.toString());
        assertEquals(0, count(first, "-XX:AOT") + count(first, "--sun-misc") + count(first, "--enable-native-access"),
                "no option Java 17 does not know: " + first);

        List<String> upgrade = launch(jdk, Map.of(), List.of("upgrade", "some.conf"));
        assertTrue(upgrade.contains("-XX:ArchiveClassesAtExit=" + jsa), "an AppCDS archive has no profiles: " + upgrade);

        Files.writeString(jsa, "archive");
        age(jsa, 10);
        List<String> later = launch(jdk, Map.of());
        assertTrue(later.contains("-XX:SharedArchiveFile=" + jsa) && later.contains("-Xshare:auto"), later.toString());
        assertFalse(Files.exists(Path.of(jar + ".aot")));
    }

    /**
     * bin/ferry puts the native libraries the build unpacked on java.library.path while they are from the jar's build
     * (their stamp not older than the jar), and leaves a java.library.path of JAVA_OPTS alone.
     */
    @Test
    void theBuildsNativeLibrariesGoOnTheLibraryPath() throws Exception {
        Path jdk = fakeJdk("jdk17", "17.0.15");
        Path natives = Files.createDirectories(tree.resolve("proxy-core/target/native"));
        Path stamp = natives.resolve("built-with-ferry.jar");
        Files.writeString(stamp, "");
        age(stamp, 1);

        String expected = "-Djava.library.path=" + natives + ":";
        List<String> given = launch(jdk, Map.of());
        assertEquals(1, count(given, expected), given.toString());
        assertTrue(given.stream().anyMatch(a -> a.startsWith(expected) && a.endsWith(":/usr/lib64:/lib64:/lib:/usr/lib")),
                "the JVM's own directories follow: " + given);

        List<String> own = launch(jdk, Map.of("JAVA_OPTS", "-Djava.library.path=/opt/libs"));
        assertEquals(List.of("-Djava.library.path=/opt/libs"),
                own.stream().filter(a -> a.startsWith("-Djava.library.path")).toList(), own.toString());

        age(stamp, -1);
        List<String> stale = launch(jdk, Map.of());
        assertEquals(0, count(stale, "-Djava.library.path"), "libraries from an older build are not used: " + stale);
    }

    @Test
    void theOperatorDecides() throws Exception {
        Path jdk = fakeJdk("jdk25", "25");
        assertEquals(0, count(launch(jdk, Map.of("FERRY_CDS", "off")), "-XX:AOT"), "FERRY_CDS=off");

        List<String> own = launch(jdk, Map.of("JAVA_OPTS", "-XX:AOTCache=/opt/ferry.aot"));
        assertEquals(List.of("-XX:AOTCache=/opt/ferry.aot"), own.stream().filter(a -> a.startsWith("-XX:AOT")).toList(),
                "a cache of JAVA_OPTS is the only one: " + own);

        List<String> deny = launch(jdk, Map.of("JAVA_OPTS", "--sun-misc-unsafe-memory-access=deny"));
        assertEquals(1, count(deny, "--sun-misc-unsafe-memory-access"), deny.toString());

        // a JVM whose version cannot be read gets the Java 17 options: no option it may not know
        Files.delete(jdk.resolve("release"));
        List<String> unknown = launch(jdk, Map.of());
        assertEquals(0, count(unknown, "-XX:AOT") + count(unknown, "--sun-misc"), unknown.toString());
    }
}
