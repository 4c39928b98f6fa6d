package io.ferry.rules;

import io.netty.util.concurrent.FastThreadLocal;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A pattern's matcher kept per thread and reset for each input: a regex condition then tests a request
 * without allocating (rules run on the event loops, one request at a time per thread).
 */
final class Matchers {
    private final Pattern pattern;
    private final FastThreadLocal<Matcher> matcher = new FastThreadLocal<>() {
        @Override
        protected Matcher initialValue() {
            return pattern.matcher("");
        }
    };

    Matchers(Pattern pattern) {
        this.pattern = pattern;
    }

    boolean find(CharSequence input) {
        Matcher m = matcher.get().reset(input);
        boolean found = m.find();
        m.reset(""); // let go of the input
        return found;
    }
}
