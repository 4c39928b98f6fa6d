package io.ferry.cache;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * HTTP-date (RFC 9110 §5.6.7), strictly: IMF-fixdate, and the obsolete RFC 850 and asctime forms a
 * recipient must still accept. Anything else — a one-digit hour, a zone other than GMT, a bad day —
 * is invalid (RFC 9111 §5.3: an invalid Expires means already expired).
 */
public final class HttpDates {
    private static final String MONTHS = "JanFebMarAprMayJunJulAugSepOctNovDec";
    /** ISO order, Monday first, as {@link java.time.DayOfWeek#getValue()} counts. */
    private static final String DAYS = "MonTueWedThuFriSatSun";
    private static final Pattern IMF = Pattern.compile(
            "(Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) ([A-Z][a-z]{2}) (\\d{4}) (\\d{2}):(\\d{2}):(\\d{2}) GMT");
    private static final Pattern RFC850 = Pattern.compile(
            "(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-([A-Z][a-z]{2})-(\\d{2}) "
                    + "(\\d{2}):(\\d{2}):(\\d{2}) GMT");
    private static final Pattern ASCTIME = Pattern.compile(
            "(Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Z][a-z]{2}) ([ \\d]\\d) (\\d{2}):(\\d{2}):(\\d{2}) (\\d{4})");

    private HttpDates() {
    }

    /** Epoch milliseconds, or -1 when {@code value} is not an HTTP-date; RFC 850 years pivot on the clock's year. */
    public static long parse(String value) {
        return parse(value, System.currentTimeMillis());
    }

    /**
     * Epoch milliseconds, or -1 when {@code value} is not an HTTP-date. {@code nowMillis} only decides the
     * century of an RFC 850 two-digit year (§5.6.7), so callers with a clock of their own pass it.
     */
    public static long parse(String value, long nowMillis) {
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
            int thisYear = Instant.ofEpochMilli(nowMillis).atOffset(ZoneOffset.UTC).getYear();
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

    /**
     * Formats epoch millis as IMF-fixdate exactly: {@code Sun, 06 Nov 1994 08:49:37 GMT} — two-digit day,
     * English names, GMT. (The JDK's RFC_1123_DATE_TIME writes a one-digit day, which is not one.)
     */
    public static String format(long epochMillis) {
        ZonedDateTime t = Instant.ofEpochMilli(epochMillis).atZone(ZoneOffset.UTC);
        int year = t.getYear();
        if (year < 0 || year > 9999) {
            throw new IllegalArgumentException("an HTTP-date has a four-digit year: " + year);
        }
        char[] c = new char[29];
        DAYS.getChars((t.getDayOfWeek().getValue() - 1) * 3, t.getDayOfWeek().getValue() * 3, c, 0);
        c[3] = ',';
        c[4] = ' ';
        two(c, 5, t.getDayOfMonth());
        c[7] = ' ';
        MONTHS.getChars((t.getMonthValue() - 1) * 3, t.getMonthValue() * 3, c, 8);
        c[11] = ' ';
        two(c, 12, year / 100);
        two(c, 14, year % 100);
        c[16] = ' ';
        two(c, 17, t.getHour());
        c[19] = ':';
        two(c, 20, t.getMinute());
        c[22] = ':';
        two(c, 23, t.getSecond());
        " GMT".getChars(0, 4, c, 25);
        return new String(c);
    }

    private static void two(char[] c, int at, int value) {
        c[at] = (char) ('0' + value / 10);
        c[at + 1] = (char) ('0' + value % 10);
    }
}
