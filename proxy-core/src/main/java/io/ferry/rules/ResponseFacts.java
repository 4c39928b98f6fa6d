package io.ferry.rules;

/** What response rules read about a response. */
public interface ResponseFacts {
    int status();

    /** The Content-Type, or null. */
    String contentType();
}
