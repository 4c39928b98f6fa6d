package io.ferry.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/** IMF-fixdate written exactly (RFC 9110 §5.6.7), on every day of the month, whatever today is. */
class HttpDatesTest {
    private static long at(int year, int month, int day, int h, int m, int s) {
        return LocalDateTime.of(year, month, day, h, m, s).toInstant(ZoneOffset.UTC).toEpochMilli();
    }

    @Test
    void knownInstantsHaveTheirExactText() {
        assertEquals("Sun, 06 Nov 1994 08:49:37 GMT", HttpDates.format(784111777000L), "RFC 9110's own example");
        assertEquals("Wed, 02 Dec 2026 00:00:00 GMT", HttpDates.format(at(2026, 12, 2, 0, 0, 0)));
        assertEquals("Thu, 01 Jan 1970 00:00:00 GMT", HttpDates.format(0));
        assertEquals("Fri, 31 Dec 9999 23:59:59 GMT", HttpDates.format(at(9999, 12, 31, 23, 59, 59)));
        assertEquals("Thu, 29 Feb 2024 12:00:00 GMT", HttpDates.format(at(2024, 2, 29, 12, 0, 0)), "leap day");
        assertEquals("Mon, 01 Mar 2100 00:00:00 GMT", HttpDates.format(at(2100, 3, 1, 0, 0, 0)),
                "2100 is not a leap year");
        assertEquals("Sun, 06 Nov 1994 08:49:37 GMT", HttpDates.format(784111777999L), "milliseconds are dropped");
    }

    @Test
    void everyDayOfAYearRoundTrips() {
        // each day of 2024 (a leap year) at 23:59:59 and 00:00:00: the 1st–9th, the 10th–31st, 29 February
        for (LocalDate d = LocalDate.of(2024, 1, 1); d.getYear() == 2024; d = d.plusDays(1)) {
            for (long t : new long[] {at(2024, d.getMonthValue(), d.getDayOfMonth(), 0, 0, 0),
                    at(2024, d.getMonthValue(), d.getDayOfMonth(), 23, 59, 59)}) {
                String text = HttpDates.format(t);
                assertEquals(29, text.length(), text);
                assertTrue(text.matches("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT"), text);
                assertEquals(t, HttpDates.parse(text), text);
            }
        }
    }

    @Test
    void rfc850YearsPivotOnTheGivenClockNotTheMachines() {
        long in2026 = at(2026, 12, 2, 12, 0, 0);
        assertEquals(at(2070, 11, 6, 8, 49, 37), HttpDates.parse("Thursday, 06-Nov-70 08:49:37 GMT", in2026),
                "44 years ahead: this century");
        assertEquals(at(1994, 11, 6, 8, 49, 37), HttpDates.parse("Sunday, 06-Nov-94 08:49:37 GMT", in2026),
                "more than 50 years ahead: the last century");
        long in2090 = at(2090, 1, 1, 0, 0, 0);
        assertEquals(at(2094, 11, 6, 8, 49, 37), HttpDates.parse("Sunday, 06-Nov-94 08:49:37 GMT", in2090),
                "seen from 2090, '94 is four years ahead");
    }
}
