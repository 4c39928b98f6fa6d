package io.ferry.fastcgi;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.DefaultByteBufHolder;

/**
 * One FastCGI record as received (FastCGI 1.0 §3.3): type, request id and content; padding is
 * already dropped. The record owns its content buffer.
 */
public final class FcgiRecord extends DefaultByteBufHolder {
    public static final int VERSION_1 = 1;
    public static final int BEGIN_REQUEST = 1;
    public static final int ABORT_REQUEST = 2;
    public static final int END_REQUEST = 3;
    public static final int PARAMS = 4;
    public static final int STDIN = 5;
    public static final int STDOUT = 6;
    public static final int STDERR = 7;
    public static final int DATA = 8;
    public static final int GET_VALUES = 9;
    public static final int GET_VALUES_RESULT = 10;
    public static final int UNKNOWN_TYPE = 11;

    public static final int RESPONDER = 1;
    public static final int KEEP_CONN = 1;

    /** END_REQUEST protocol status values (§5.5). */
    public static final int REQUEST_COMPLETE = 0;
    public static final int CANT_MPX_CONN = 1;
    public static final int OVERLOADED = 2;
    public static final int UNKNOWN_ROLE = 3;

    /** Largest content of one record. */
    public static final int MAX_CONTENT = 65535;
    static final int HEADER_LENGTH = 8;

    private final int type;
    private final int requestId;

    public FcgiRecord(int type, int requestId, ByteBuf content) {
        super(content);
        this.type = type;
        this.requestId = requestId;
    }

    public int type() {
        return type;
    }

    public int requestId() {
        return requestId;
    }

    @Override
    public String toString() {
        return "FcgiRecord(type=" + type + ", id=" + requestId + ", " + content().readableBytes() + " bytes)";
    }
}
