package io.ferry.balance;

/** The balancing algorithms, by their config names. */
public enum BalanceAlgorithm {
    ROUND_ROBIN("round-robin"),
    LEAST_CONN("least-conn"),
    URI_HASH("uri-hash"),
    SOURCE_HASH("source-hash"),
    RANDOM_TWO("random-two");

    private final String configName;

    BalanceAlgorithm(String configName) {
        this.configName = configName;
    }

    public String configName() {
        return configName;
    }

    public static BalanceAlgorithm parse(String name) {
        for (BalanceAlgorithm a : values()) {
            if (a.configName.equals(name)) {
                return a;
            }
        }
        return null;
    }

    public static String names() {
        StringBuilder sb = new StringBuilder();
        for (BalanceAlgorithm a : values()) {
            sb.append(sb.length() == 0 ? "" : ", ").append(a.configName);
        }
        return sb.toString();
    }
}
