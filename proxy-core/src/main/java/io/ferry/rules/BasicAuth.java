package io.ferry.rules;

import at.favre.lib.crypto.bcrypt.BCrypt;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.ferry.config.RulesConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * HTTP basic auth (RFC 7617) against an htpasswd file of bcrypt hashes. bcrypt is slow on purpose
 * (milliseconds a check), so it never runs on an event loop: a check runs on two hashing threads
 * shared by all user lists (a bounded queue: when it is full the check fails as wrong, never waits),
 * and a credential that passed is remembered for ten minutes by its SHA-256, so a browser sending the
 * same Authorization on every request costs a hash lookup.
 */
public final class BasicAuth {
    private static final ThreadPoolExecutor HASHING = new ThreadPoolExecutor(2, 2, 60, TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(1024), r -> {
                Thread t = new Thread(r, "ferry-bcrypt");
                t.setDaemon(true);
                return t;
            });

    private final RulesConfig.Users users;
    private final Cache<String, Boolean> passed = Caffeine.newBuilder().maximumSize(10_000)
            .expireAfterWrite(Duration.ofMinutes(10)).executor(Runnable::run).build();

    BasicAuth(RulesConfig.Users users) {
        this.users = users;
    }

    public String realm() {
        return users.realm();
    }

    RulesConfig.Users users() {
        return users;
    }

    /**
     * The check of an Authorization field: a completed future when the answer is known now (no or
     * malformed credentials, unknown user, or a credential that passed before), else one the hashing
     * threads complete.
     */
    CompletableFuture<Boolean> check(String authorization) {
        if (authorization == null || authorization.length() < 7 || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return CompletableFuture.completedFuture(false);
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return CompletableFuture.completedFuture(false);
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
            return CompletableFuture.completedFuture(false);
        }
        String hash = users.bcryptByUser().get(decoded.substring(0, colon));
        if (hash == null) {
            return CompletableFuture.completedFuture(false);
        }
        String key = sha256(decoded);
        if (passed.getIfPresent(key) != null) {
            return CompletableFuture.completedFuture(true);
        }
        byte[] password = decoded.substring(colon + 1).getBytes(StandardCharsets.UTF_8);
        CompletableFuture<Boolean> result = new CompletableFuture<>();
        try {
            HASHING.execute(() -> {
                boolean ok = BCrypt.verifyer().verify(password, hash.getBytes(StandardCharsets.US_ASCII)).verified;
                if (ok) {
                    passed.put(key, Boolean.TRUE);
                }
                result.complete(ok);
            });
        } catch (RejectedExecutionException busy) {
            result.complete(false); // more checks waiting than the queue holds: refused, not queued
        }
        return result;
    }

    private static String sha256(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(d);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
