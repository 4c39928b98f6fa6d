package io.ferry.cache;

import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTP-date (RFC 9110 §5.6.7), strictly: IMF-fixdate, and the obsolete RFC 850 and asctime forms a
 * recipient must still accept. Anything else — a one-digit hour, a zone other than GMT, a bad day —
 * is invalid (RFC 9111 §5.3: an invalid Expires means already expired).
 */
public final class HttpDates {
    private static final String MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec";
    private static final Pattern IMF = Pattern.compile(
            "(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) ([A-Z][a-z]{2}) (\\d{4}) (\\d{2}):(\\d{2}):(\\d{2}) GMT");
    private static final Pattern RFC850 = Pattern.compile(
            "(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-([A-Z][a-z]{2})-(\\d{2}) "
                    + "(\\d{2}):(\\d{2}):(\\d{2}) GMT");
    private static final Pattern ASCTIME = Pattern.compile(
            "(Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) ([ \\d]\\d) (\\d{2}):(\\d{2}):(\\d{2}) (\\d{4})");

    private HttpDates() {
    }

    /** Epoch milliseconds, or -1 when {@code value} is not an HTTP-date. */
    public static long parse(String value) {
        if (value == null) {
            return -1;
        }
        String v = value.trim();
        Matcher m = IMF.matcher(v);
        if (m.matches()) {
            return at(Integer.parseInt(m.group(4)), m.group(3), m.group(2), m.group(5), m.group(6), m.group(7));
        }
        m = RFC850.matcher(v);
        if (m.matches()) {
            int yy = Integer.parseInt(m.group(4));
            // §5.6.7: a two-digit year more than 50 years in the future is in the past century
            int thisYear = LocalDateTime.now(ZoneOffset.UTC).getYear();
            int year = thisYear / 100 * 100 + yy;
            if (year > thisYear + 50) {
                year -= 100;
            }
            return at(year, m.group(3), m.group(2), m.group(5), m.group(6), m.group(7));
        }
        m = ASCTIME.matcher(v);
        if (m.matches()) {
            return at(Integer.parseInt(m.group(7)), m.group(2), m.group(3).trim(), m.group(4), m.group(5), m.group(6));
        }
        return -1;
    }

    private static long at(int year, String month, String day, String hour, String minute, String second) {
        int mon = MONTHS.indexOf(month);
        if (mon < 0 || mon % 3 != 0) {
            return -1;
        }
        try {
            return LocalDateTime.of(year, mon / 3 + 1, Integer.parseInt(day), Integer.parseInt(hour),
                    Integer.parseInt(minute), Integer.parseInt(second)).toInstant(ZoneOffset.UTC).toEpochMilli();
        } catch (DateTimeException e) {
            return -1;
        }
    }

    /** Formats epoch millis as IMF-fixdate. */
    public static String format(long epochMillis) {
        return java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME.withLocale(Locale.ROOT)
                .format(java.time.Instant.ofEpochMilli(epochMillis).atZone(ZoneOffset.UTC));
    }
}
